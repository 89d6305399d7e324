#!/usr/bin/env bash
# LL-HLS origin against nginx on the same bytes, same machine, same load generators:
#  1. wrk on one part (Sluice's live origin vs nginx serving a copy of that part),
#     alternating rounds, a fresh part each round (live parts are evicted after a few seconds);
#  2. `sluice bench viewers` (N LL-HLS viewers) against Sluice (live, blocking reloads) and
#     against nginx serving a static copy of the same rendition (ENDLIST, replayed).
# Usage: Benchmarks/origin/run.sh [viewers] [seconds] [wrk-rounds]   (see Docs/Benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
viewers=${1:-2500}
seconds=${2:-20}
rounds=${3:-3}
out=.build/bench/origin
sluice=.build/release/sluice
mkdir -p "$out/static/live/bench/src"
out=$(cd "$out" && pwd)
for tool in nginx wrk curl ffmpeg; do command -v "$tool" >/dev/null || { echo "needs $tool (make bench installs it)"; exit 1; }; done

src=$out/src360.flv
if [ ! -f "$src" ]; then
  ffmpeg -loglevel error -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 20 \
    -c:v libx264 -preset veryfast -b:v 600k -maxrate 700k -bufsize 700k -g 30 -keyint_min 30 -sc_threshold 0 \
    -pix_fmt yuv420p -c:a aac -b:a 64k "$src"
fi

port=18081 nport=18090
"$sluice" bench viewers --serve-file "$src" --port $port > "$out/origin.log" 2>&1 &
origin=$!
cat > "$out/nginx.conf" <<CONF
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 8192; }
http {
    access_log off; sendfile on; tcp_nopush on;
    keepalive_requests 1000000; keepalive_timeout 65;
    types { application/vnd.apple.mpegurl m3u8; video/mp4 mp4 m4s; }
    server { listen 127.0.0.1:$nport; root $out/static; add_header Access-Control-Allow-Origin *; }
}
CONF
nginx -c "$out/nginx.conf"
trap 'kill $origin 2>/dev/null || true; nginx -c "$out/nginx.conf" -s stop 2>/dev/null || true' EXIT
sleep 6
base=http://127.0.0.1:$port/live/bench

# Static copy: the live playlist and everything it names, hint and reports dropped, ENDLIST added.
curl -sf "$base/index.m3u8" > "$out/static/live/bench/index.m3u8"
curl -sf "$base/src/index.m3u8" > "$out/live.m3u8"
for f in $(grep -o '[a-z]*[0-9]*\.\(m4s\|mp4\)' "$out/live.m3u8" | sort -u); do
  curl -sf -o "$out/static/live/bench/src/$f" "$base/src/$f"
done
grep -v 'PRELOAD-HINT\|RENDITION-REPORT' "$out/live.m3u8" > "$out/static/live/bench/src/index.m3u8"
echo '#EXT-X-ENDLIST' >> "$out/static/live/bench/src/index.m3u8"

echo "-- wrk -t1 -c64 -d6s on one part (req/s)"
for r in $(seq "$rounds"); do
  part=$(curl -sf "$base/src/index.m3u8" | grep -o 'part[0-9]*\.m4s' | tail -1)
  curl -sf -o "$out/static/part.m4s" "$base/src/$part"
  s=$(wrk -t1 -c64 -d6s "$base/src/$part" | awk '/Non-2xx/ {bad=1} /Requests\/sec/ {print (bad ? "errors" : $2)}')
  n=$(wrk -t1 -c64 -d6s "http://127.0.0.1:$nport/part.m4s" | awk '/Non-2xx/ {bad=1} /Requests\/sec/ {print (bad ? "errors" : $2)}')
  ratio=$(awk -v s="$s" -v n="$n" 'BEGIN { if (n + 0 > 0 && s + 0 > 0) printf "%.2f", s / n; else print "-" }')
  echo "round $r: $(stat -c %s "$out/static/part.m4s") bytes  sluice $s  nginx $n  ratio $ratio"
done

echo "-- $viewers LL-HLS viewers, ${seconds}s: Sluice (live, blocking reloads)"
"$sluice" bench viewers --url "$base/index.m3u8" --count "$viewers" --duration "$seconds" --server-pid "$origin"
echo "-- $viewers LL-HLS viewers, ${seconds}s: nginx (static copy, replayed)"
pids=$(pgrep -f "nginx: worker" | sed 's/^/--server-pid /')
# shellcheck disable=SC2086
"$sluice" bench viewers --url "http://127.0.0.1:$nport/live/bench/index.m3u8" --count "$viewers" --duration "$seconds" $pids
