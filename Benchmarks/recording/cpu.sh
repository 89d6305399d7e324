#!/usr/bin/env bash
# Recording's CPU cost: server CPU with and without recording, same input, same ladder.
#
#   Benchmarks/recording/cpu.sh [seconds]        (default 60 s measured after a 10 s warm-up)
#
# Input: a 1080p30 H.264 + AAC test file (20 s of testsrc2, made once under /tmp, looped), pushed with
# `ffmpeg -re -c copy` over RTMP, so the pusher costs nothing. The server transcodes it into its
# built-in ladder (source + 720p/480p/360p) and, in the second run, records every rendition.
# Server CPU = utime + stime of the sluice process from /proc over the measured window. On a
# loaded machine the transcoder drops frames it cannot encode in time, so CPU is also given per
# encoded frame (`sluice_encoded_frames_total` from /metrics over the same window).
# TRANSCODE=false records the source alone (no ladder): the recorder's own cost, without the
# transcoder's noise.
# SLUICE=path/to/sluice picks the binary (default: .build/release/sluice, else .build/debug/sluice).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_MEASURED=${1:-60}
SLUICE=${SLUICE:-$( [ -x .build/release/sluice ] && echo .build/release/sluice || echo .build/debug/sluice )}
INPUT=/tmp/sluice-rec-bench-1080p.mp4
if [ ! -s "$INPUT" ]; then
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -t 20 -c:v libx264 -preset ultrafast -g 60 -keyint_min 60 -sc_threshold 0 -b:v 6M -pix_fmt yuv420p -c:a aac -b:a 128k "$INPUT"
fi
TICK=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/sluice-rec-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
encoded() { # $1 http port: frames encoded by every rung so far
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^sluice_encoded_frames_total/ {n += $NF} END {print n + 0}'
}

run() { # $1 = true|false (recording)
  local dir="$WORK/$1"
  mkdir -p "$dir"
  cat > "$dir/sluice.yaml" <<YAML
api:
  token: ""
transcode:
  enabled: ${TRANSCODE:-true}
recording:
  enabled: $1
  directory: $dir/rec
YAML
  "$SLUICE" serve --config "$dir/sluice.yaml" --host 127.0.0.1 --rtmp-port 0 --srt-port 0 --http-port 0 > "$dir/out" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do grep -qs "HLS:  play" "$dir/out" && break; sleep 0.2; done
  local rtmp http
  rtmp=$(sed -n 's/.*rtmp:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out" | head -1)
  http=$(sed -n 's/.*play http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out" | head -1)
  ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$INPUT" -t $((SECONDS_MEASURED + 15)) -c copy -f flv \
    "rtmp://127.0.0.1:$rtmp/live/bench" &
  local push=$!
  sleep 10
  local a b ta tb
  a=$(cpu_ticks $pid); ta=$(encoded $http)
  sleep "$SECONDS_MEASURED"
  b=$(cpu_ticks $pid); tb=$(encoded $http)
  kill $push 2>/dev/null || true; wait $push 2>/dev/null || true
  kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  local bytes=0
  [ -d "$dir/rec" ] && bytes=$(du -sb "$dir/rec" | cut -f1)
  echo "$(( b - a )) $(( tb - ta )) $bytes"
}

read -r off foff _ < <(run false)
read -r on fon bytes < <(run true)
awk -v off="$off" -v on="$on" -v foff="$foff" -v fon="$fon" -v tick="$TICK" -v s="$SECONDS_MEASURED" -v bytes="$bytes" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  printf "recording off: server CPU %.1f s over %d s (%.1f%% of one core), %d frames encoded, %.2f ms CPU per frame\n", off / tick, s, 100 * off / tick / s, foff, 1000 * off / tick / (foff > 0 ? foff : 1)
  printf "recording on:  server CPU %.1f s over %d s (%.1f%% of one core), %d frames encoded, %.2f ms CPU per frame; %.1f MiB recorded\n", on / tick, s, 100 * on / tick / s, fon, 1000 * on / tick / (fon > 0 ? fon : 1), bytes / 1048576
  printf "ratio on/off: CPU %.3f, CPU per encoded frame %.3f\n", on / off, (on / (fon > 0 ? fon : 1)) / (off / (foff > 0 ? foff : 1))
  printf "load average at the end: %s\n", load
}'
