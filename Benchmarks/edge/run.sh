#!/usr/bin/env bash
# One nginx edge (Deploy/nginx-edge.conf, its EDIT lines pointed here) in front of a Sluice origin,
# and `sluice bench viewers` through the edge at each audience size: part delivery timed from the
# part's listing at the origin (a watcher there), errors, and the origin's own counters of
# requests per part per rendition (its status API, read with the operator token).
# Usage: Benchmarks/edge/run.sh [seconds] [viewers ...]     default: 30 300 3000
#   SLUICE=.build/debug/sluice Benchmarks/edge/run.sh ...   (default .build/release/sluice)
#   EDGE_CONF=old.conf Benchmarks/edge/run.sh ...           (default Deploy/nginx-edge.conf)
#   EDGE_PIN=1 Benchmarks/edge/run.sh ...                   origin, nginx and ffmpeg on CPU 0, the viewers on
#                                                            CPU 1 (the generator kept off the edge's core)
#   EDGE_WORKERS=1 Benchmarks/edge/run.sh ...               nginx worker_processes (default: the configuration's)
#   EDGE_LADDER=240p:250k Benchmarks/edge/run.sh ...        transcode a ladder at the origin (default: none,
#                                                            `--no-transcode`: the viewers watch the source either
#                                                            way, and an edge test need not pay for an encoder)
# See Docs/Benchmarks.md "LL-HLS edge (nginx)".
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
shift || true
counts=${*:-300 3000}
sluice=${SLUICE:-.build/release/sluice}
conf=${EDGE_CONF:-Deploy/nginx-edge.conf}
out=.build/bench/edge
mkdir -p "$out/cache"
out=$(cd "$out" && pwd)
for tool in nginx ffmpeg curl; do command -v "$tool" >/dev/null || { echo "needs $tool (make bench installs it)"; exit 1; }; done
[ -x "$sluice" ] || { echo "no $sluice (swift build -c release, or SLUICE=.build/debug/sluice)"; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
server_cpus= viewer_cpus=
[ -n "${EDGE_PIN:-}" ] && server_cpus="taskset -c 0" viewer_cpus="taskset -c 1"

# 640x360 30 fps H.264 + AAC, GOP 1 s, pushed in a loop without re-encoding (no pusher CPU).
src=$out/src360.flv
if [ ! -f "$src" ]; then
  ffmpeg -loglevel error -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 20 \
    -c:v libx264 -preset veryfast -b:v 600k -maxrate 700k -bufsize 700k -g 30 -keyint_min 30 -sc_threshold 0 \
    -pix_fmt yuv420p -c:a aac -b:a 64k "$src"
fi

http=${EDGE_BENCH_HTTP:-28180} rtmp=${EDGE_BENCH_RTMP:-29350} srt=${EDGE_BENCH_SRT:-29100} edge=${EDGE_BENCH_EDGE:-28181}
export SLUICE_API_TOKEN=edge-bench-$$
ladder=(--no-transcode)
[ -n "${EDGE_LADDER:-}" ] && ladder=(--ladder "$EDGE_LADDER")
$server_cpus "$sluice" serve --host 127.0.0.1 --http-port $http --rtmp-port $rtmp --srt-port $srt "${ladder[@]}" \
  --log-level warning > "$out/origin.log" 2>&1 &
origin=$!
sed -e "s|^pid .*|pid $out/nginx.pid;|" -e "s|^error_log .*|error_log $out/error.log warn;|" \
    -e "s|/var/cache/nginx/sluice-edge|$out/cache|" -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$http;|" \
    -e "s|listen 8081;|listen 127.0.0.1:$edge;|" "$conf" > "$out/nginx.conf"
[ -n "${EDGE_WORKERS:-}" ] && sed -i "s|^worker_processes .*|worker_processes $EDGE_WORKERS;|" "$out/nginx.conf"
# As root nginx runs its workers as nobody, who cannot write the cache here.
[ "$(id -u)" = 0 ] && sed -i '1i user root;' "$out/nginx.conf"
rm -rf "$out/cache"/* "$out/error.log"
$server_cpus nginx -c "$out/nginx.conf" -p "$out"
push=
trap 'kill $push $origin 2>/dev/null || true; nginx -c "$out/nginx.conf" -p "$out" -s stop 2>/dev/null || true' EXIT
sleep 2
$server_cpus ffmpeg -loglevel error -re -stream_loop -1 -i "$src" -c copy -f flv "rtmp://127.0.0.1:$rtmp/live/edge" &
push=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$edge/live/edge/index.m3u8" >/dev/null && break; sleep 1; done
curl -sf "http://127.0.0.1:$edge/live/edge/index.m3u8" >/dev/null || { echo "edge never served the stream"; cat "$out/origin.log"; exit 1; }
sleep 3

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), sluice $("$sluice" --version) ($sluice, ${ladder[*]}), edge $conf ($(nginx -v 2>&1 | cut -d/ -f2), $(pgrep -c -P "$(cat "$out/nginx.pid")" -f "nginx: worker") workers)"
# CPU seconds (utime + stime) of processes so far, summed.
cpu() { for p in "$@"; do cat "/proc/$p/stat"; done | awk -v hz="$(getconf CLK_TCK)" '{ s += $14 + $15 } END { print s / hz }'; }
pct() { echo "($2 - $1) / ($t1 - $t0) * 100" | bc -l | xargs printf '%.1f'; }
for n in $counts; do
  workers=$(pgrep -P "$(cat "$out/nginx.pid")" -f "nginx: worker" | sed 's/^/--server-pid /' | tr '\n' ' ')
  echo "-- $n LL-HLS viewers through the nginx edge, ${seconds} s (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  nginx_pids=$(pgrep -P "$(cat "$out/nginx.pid")" -f "nginx: worker" | tr '\n' ' ')
  t0=$(date +%s.%N) c0=$(cpu $origin) n0=$(cpu $nginx_pids) p0=$(cpu $push)
  # shellcheck disable=SC2086
  $viewer_cpus "$sluice" bench viewers --url "http://127.0.0.1:$edge/live/edge/index.m3u8" --origin "http://127.0.0.1:$http" \
    --count "$n" --duration "$seconds" --server-pid $origin $workers
  t1=$(date +%s.%N) c1=$(cpu $origin) n1=$(cpu $nginx_pids) p1=$(cpu $push)
  echo "   (server CPU above: the origin and the nginx workers together; over this step, % of one core: origin $(pct $c0 $c1), nginx workers $(pct $n0 $n1), publisher (ffmpeg) $(pct $p0 $p1); load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
  sleep 3
done
