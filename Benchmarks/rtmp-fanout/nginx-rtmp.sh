#!/usr/bin/env bash
# The nginx-rtmp side of the RTMP fan-out benchmark: the same publisher file, the same ffmpeg
# readers, nginx's worker CPU measured over the same window as `rtmp-bench fanout` measures
# Sluice's (Docs/Benchmarks.md prints both and the ratio).
# Usage: nginx-rtmp.sh "0 10 30" SECONDS
set -euo pipefail
counts=${1:-"0 10 30"}
seconds=${2:-10}
file=${TMPDIR:-/tmp}/rtmp-bench-720p.flv
[ -f "$file" ] || ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=f=440 \
  -c:v libx264 -preset veryfast -b:v 3000k -g 30 -c:a aac -t 20 "$file"
work=$(mktemp -d); chmod 755 "$work"
cat > "$work/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
rtmp { server { listen 127.0.0.1:19371; application live { live on; } } }
CONF
pids=()
worker=""
cleanup() {
  [ -n "$worker" ] && kill -9 "$worker" 2>/dev/null || true # the worker outlives a killed master
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
nginx -c "$work/nginx.conf" & pids+=($!)
sleep 1
worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
url=rtmp://127.0.0.1:19371/live/bench
ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$file" -c copy -f flv "$url" & pids+=($!)
sleep 3
ticks() { awk '{print $14 + $15}' "/proc/$worker/stat"; }
hz=$(getconf CLK_TCK)
baseline=""
for n in $counts; do
  readers=()
  for ((i = 0; i < n; i++)); do ffmpeg -hide_banner -loglevel error -nostdin -i "$url" -c copy -f null - & readers+=($!); done
  sleep 2
  t0=$(ticks); s0=$(date +%s.%N)
  sleep "$seconds"
  t1=$(ticks); s1=$(date +%s.%N)
  alive=0; for p in "${readers[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
  for p in "${readers[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ "$n" = 0 ] || wait "${readers[@]}" 2>/dev/null || true
  pct=$(python3 -c "print(f'{100 * ($t1 - $t0) / $hz / ($s1 - $s0):.2f}')")
  [ "$n" = 0 ] && baseline=$pct
  extra=""
  if [ "$n" != 0 ] && [ -n "$baseline" ]; then extra=$(python3 -c "print(f', {($pct - $baseline) / $n:.3f}% of a core per reader above the publisher-only baseline')"); fi
  printf "%3d readers: nginx-rtmp worker CPU %6.2f%% of one core, %d/%d readers alive%s\n" "$n" "$pct" "$alive" "$n" "$extra"
done
