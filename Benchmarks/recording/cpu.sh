#!/usr/bin/env bash
# Recording's CPU cost: server CPU with and without recording, same input, same ladder.
#
#   Benchmarks/recording/cpu.sh [seconds]        (default 60 s measured after a 10 s warm-up)
#
# Input: a 1080p30 H.264 + AAC test file (20 s of testsrc2, made once under /tmp, looped), pushed with
# `ffmpeg -re -c copy` over RTMP, so the pusher costs nothing. The server transcodes it into its
# built-in ladder (source + 720p/480p/360p) and, in the second run, records every rendition.
# Server CPU = utime + stime of the sluice process from /proc over the measured window; the
# recorder's own disk thread (`recording-disk`) is read from /proc/<pid>/task as well.
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
thread_ticks() { # $1 pid, $2 thread name
  local total=0
  for t in /proc/$1/task/*; do
    if [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ]; then total=$((total + $(awk '{print $14 + $15}' "$t/stat"))); fi
  done
  echo $total
}

run() { # $1 = true|false (recording)
  local dir="$WORK/$1"
  mkdir -p "$dir"
  cat > "$dir/sluice.yaml" <<YAML
api:
  token: ""
recording:
  enabled: $1
  directory: $dir/rec
YAML
  "$SLUICE" serve --config "$dir/sluice.yaml" --host 127.0.0.1 --rtmp-port 0 --srt-port 0 --http-port 0 > "$dir/out" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do grep -q "HLS:  play" "$dir/out" && break; sleep 0.2; done
  local rtmp
  rtmp=$(sed -n 's/.*rtmp:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out" | head -1)
  ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$INPUT" -t $((SECONDS_MEASURED + 15)) -c copy -f flv \
    "rtmp://127.0.0.1:$rtmp/live/bench" &
  local push=$!
  sleep 10
  local a b ta tb
  a=$(cpu_ticks $pid); ta=$(thread_ticks $pid recording-disk)
  sleep "$SECONDS_MEASURED"
  b=$(cpu_ticks $pid); tb=$(thread_ticks $pid recording-disk)
  kill $push 2>/dev/null || true; wait $push 2>/dev/null || true
  kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  local bytes=0
  [ -d "$dir/rec" ] && bytes=$(du -sb "$dir/rec" | cut -f1)
  echo "$(( b - a )) $(( tb - ta )) $bytes"
}

read -r off _ _ < <(run false)
read -r on disk bytes < <(run true)
awk -v off="$off" -v on="$on" -v disk="$disk" -v tick="$TICK" -v s="$SECONDS_MEASURED" -v bytes="$bytes" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  printf "server CPU over %d s, recording off: %.1f s (%.1f%% of one core)\n", s, off / tick, 100 * off / tick / s
  printf "server CPU over %d s, recording on:  %.1f s (%.1f%% of one core); recording-disk thread %.2f s; %.1f MiB written\n", s, on / tick, 100 * on / tick / s, disk / tick, bytes / 1048576
  printf "ratio on/off: %.3f (extra %+.1f%%); disk thread alone: %.2f%% of the server CPU\n", on / off, 100 * (on - off) / off, 100 * disk / on
  printf "load average at the end: %s\n", load
}'
