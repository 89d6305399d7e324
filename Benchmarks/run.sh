#!/usr/bin/env bash
# `make bench`: every benchmark that compares Sluice with a peer, each printing both sides.
# Inputs are generated under .build/bench (media is never committed). See Docs/Benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/bench
mkdir -p "$out"
sluice=.build/release/sluice

echo "== RTMP chunk decoding and fan-out (Benchmarks/RTMPBenchmarks)"
(cd Benchmarks/RTMPBenchmarks && swift run -c release rtmp-bench decode && swift run -c release rtmp-bench fanout 0,10,30 10)
Benchmarks/rtmp-fanout/nginx-rtmp.sh "0 10 30" 10

echo "== Transcode ladder: Sluice vs the one-command ffmpeg ladder"
if [ ! -f "$out/src1080.mp4" ]; then
  ffmpeg -loglevel error -f lavfi -i "testsrc2=size=1920x1080:rate=30,noise=alls=5:allf=t" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 30 \
    -c:v libx264 -preset fast -b:v 6M -maxrate 8M -bufsize 12M -g 60 -pix_fmt yuv420p \
    -c:a aac -b:a 128k "$out/src1080.mp4"
fi
"$sluice" bench transcode --input "$out/src1080.mp4" --compare-ffmpeg

echo "== Capture-to-viewer latency: Sluice LL-HLS vs nginx-rtmp HLS"
Benchmarks/latency/run.sh

echo "== LL-HLS origin: Sluice vs nginx on the same bytes (wrk, then 2500 viewers)"
Benchmarks/origin/run.sh 2500 20 3

echo "== sluice shape: delivered vs capacity (RTMP through the shaper)"
Benchmarks/shape/run.sh 30 100

echo "== Restream: three destinations, nginx-rtmp killed for 5 s and restarted"
SLUICE="$sluice" Benchmarks/restream/run.sh --kill nginx
