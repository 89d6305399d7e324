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

echo "== LL-HLS viewers against Sluice's origin (nginx side: Docs/Benchmarks.md)"
if [ ! -f "$out/src360.flv" ]; then
  ffmpeg -loglevel error -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 20 \
    -c:v libx264 -preset veryfast -b:v 600k -maxrate 700k -bufsize 700k -g 30 -keyint_min 30 -sc_threshold 0 \
    -pix_fmt yuv420p -c:a aac -b:a 64k "$out/src360.flv"
fi
"$sluice" bench viewers --serve-file "$out/src360.flv" --port 18081 &
origin=$!
trap 'kill $origin 2>/dev/null || true' EXIT
sleep 3
"$sluice" bench viewers --url http://127.0.0.1:18081/live/bench/index.m3u8 --count 500 --duration 20 --server-pid "$origin"
