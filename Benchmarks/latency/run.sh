#!/usr/bin/env bash
# Capture-to-viewer latency, Sluice (LL-HLS) against nginx-rtmp (HLS), measured in the same run
# by the same tools: `sluice push` stamps every frame, `sluice probe` reads each server's HLS as
# a viewer and reports stamp -> arrival. Both pushes run at once, with the same settings.
set -euo pipefail
cd "$(dirname "$0")/../.."
sluice=${SLUICE:-.build/release/sluice}
seconds=${SECONDS_TO_MEASURE:-20}
work=$(mktemp -d)
mkdir -p "$work/hls"
chmod 755 "$work"; chmod 777 "$work/hls" # nginx workers run as an unprivileged user
sed -e "s|WORKDIR|$work|g" -e "s|RTMP_PORT|19361|" -e "s|HTTP_PORT|18191|" Benchmarks/latency/nginx-rtmp.conf > "$work/nginx.conf"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

nginx -c "$work/nginx.conf" & pids+=($!)
"$sluice" serve --host 127.0.0.1 --rtmp-port 19360 --srt-port 19060 --http-port 18190 --log-level warning & pids+=($!)
sleep 2
"$sluice" push rtmp://127.0.0.1:19360/live/probe --size 1280x720 --duration $((seconds + 15)) >/dev/null & pids+=($!)
"$sluice" push rtmp://127.0.0.1:19361/live/probe --size 1280x720 --duration $((seconds + 15)) >/dev/null & pids+=($!)
sleep 8

# Both probes at once, over the same seconds of the same kind of stream.
"$sluice" probe http://127.0.0.1:18190/live/probe/index.m3u8 --rendition source --duration "$seconds" --json > "$work/sluice.out" &
sp=$!
"$sluice" probe http://127.0.0.1:18191/hls/probe.m3u8 --duration "$seconds" --json > "$work/nginx.out" &
np=$!
wait $sp $np
s=$(tail -1 "$work/sluice.out")
n=$(tail -1 "$work/nginx.out")
echo "== Sluice, LL-HLS (source rendition): $(head -1 "$work/sluice.out")"
echo "== nginx-rtmp, HLS (hls_fragment 1s): $(head -1 "$work/nginx.out")"
python3 - "$s" "$n" <<'PY'
import json, sys
s, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in ("p50Ms", "p90Ms", "p99Ms"):
    print(f"{k}: Sluice {s[k]:.0f} ms, nginx-rtmp {n[k]:.0f} ms, nginx-rtmp / Sluice = {n[k] / s[k]:.1f}x")
PY
