#!/usr/bin/env bash
# How closely `sluice shape` holds a link: ffmpeg pushes RTMP through it to `sluice serve`, and
# the shaper's per-second stats give delivered against capacity. Prints both and the ratio.
# Usage: Benchmarks/shape/run.sh [seconds per constant-rate case] [seconds of trace cases]
# SLUICE overrides the binary (default: the release build). See Docs/Benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
sluice=${SLUICE:-.build/release/sluice}
seconds=${1:-30}
trace_seconds=${2:-100}
data=${SHARED_DATA:-../shared/data}
out=.build/bench/shape
mkdir -p "$out"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rtmp=$(free_port); http=$(free_port); listen=$(free_port); srt=$(free_udp_port); listen_udp=$(free_udp_port)

"$sluice" serve --host 127.0.0.1 --rtmp-port "$rtmp" --srt-port "$srt" --http-port "$http" --no-transcode --log-level warning >"$out/serve.log" 2>&1 &
serve=$!
cleanup() { kill "$serve" 2>/dev/null || true; kill "${shaper:-}" 2>/dev/null || true; kill "${push:-}" 2>/dev/null || true; }
trap cleanup EXIT
sleep 2

# One case: a shaper with the given options, ffmpeg pushing a constant-bitrate stream through
# it (filler NALs keep x264 at exactly the rate) over RTMP or SRT, then the stats summarised.
run_case() {
  local name=$1 kbps=$2 secs=$3 proto=$4; shift 4
  local stats="$out/$name.jsonl" url format
  if [ "$proto" = srt ]; then
    "$sluice" shape --udp --listen "127.0.0.1:$listen_udp" --to "127.0.0.1:$srt" --direction up --stats "$stats" "$@" >"$out/$name.shape.log" 2>&1 &
    url="srt://127.0.0.1:$listen_udp?streamid=live/shape-$name&latency=400000&pkt_size=1316"; format=mpegts
  else
    "$sluice" shape --listen "127.0.0.1:$listen" --to "127.0.0.1:$rtmp" --direction up --stats "$stats" "$@" >"$out/$name.shape.log" 2>&1 &
    url="rtmp://127.0.0.1:$listen/live/shape-$name"; format=flv
  fi
  shaper=$!
  sleep 1
  ffmpeg -loglevel error -re -f lavfi -i "testsrc2=size=640x360:rate=30" -t "$secs" \
    -c:v libx264 -preset ultrafast -tune zerolatency -g 60 -pix_fmt yuv420p \
    -b:v "${kbps}k" -minrate "${kbps}k" -maxrate "${kbps}k" -bufsize "$((kbps / 2))k" -x264-params nal-hrd=cbr:force-cfr=1 \
    -f "$format" "$url" >"$out/$name.ffmpeg.log" 2>&1 &
  push=$!
  # ffmpeg falls behind real time when the link is narrower than the stream: stop it at the deadline.
  sleep "$secs"; kill "$push" 2>/dev/null || true; wait "$push" 2>/dev/null || true
  kill -INT "$shaper"; wait "$shaper" || true
  python3 - "$stats" "$name" "$kbps" <<'PY'
import json, sys
path, name, kbps = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [json.loads(l) for l in open(path) if l.strip()]
secs = [l for l in lines if "dir" in l and l["dir"] == "up"]
# Skip the first 3 s (connect, RTMP handshake, encoder start) and the last partial interval.
steady = [s for s in secs[3:-1]]
d = sum(s["delivered_mbps"] for s in steady); c = sum(s["capacity_mbps"] for s in steady)
o = sum(s["offered_mbps"] for s in steady)
drops = sum(s["drops"] for s in secs); lost = sum(s["lost"] for s in secs)
per = [s["delivered_mbps"] / s["capacity_mbps"] for s in steady if s["capacity_mbps"] > 0]
q = sorted(s["queue_delay_ms"] for s in steady)
qmax = max(s["queue_delay_max_ms"] for s in steady)
if not steady:
    sys.exit(f"{name}: no steady seconds in {path}")
print(f"{name}: stream {kbps/1000:.2f} Mbit/s, {len(steady)} s measured: capacity {c/len(steady):.3f} Mbit/s, "
      f"offered {o/len(steady):.3f}, delivered {d/len(steady):.3f}, delivered/capacity {d/c:.4f}; "
      f"per second delivered/capacity min {min(per):.3f} max {max(per):.3f}; queue delay (per-second means) p50 {q[len(q)//2]:.0f} ms max {q[-1]:.0f} ms, longest single packet {qmax:.0f} ms; drops {drops}, lost {lost}")
# A step schedule: each step's seconds after the first 2 (the queue drains or fills), grouped by capacity.
caps = sorted({s["capacity_mbps"] for s in steady})
if 1 < len(caps) <= 6:
    for cap in caps:
        runs, prev = [], None
        for i, s in enumerate(secs):
            if s["capacity_mbps"] == cap and i >= 3 and i + 1 < len(secs):
                start = i >= 2 and all(secs[j]["capacity_mbps"] == cap for j in (i - 1, i - 2))
                if start: runs.append(s["delivered_mbps"])
        if runs:
            print(f"  capacity {cap:.3f} Mbit/s: {len(runs)} s, delivered mean {sum(runs)/len(runs):.3f} (ratio {sum(runs)/len(runs)/cap:.4f})")
PY
}

echo "== sluice shape: delivered vs capacity (RTMP push by ffmpeg through the shaper to sluice serve)"
run_case rate2-push4 4000 "$seconds" rtmp --rate 2
run_case rate2-push1.5 1500 "$seconds" rtmp --rate 2
# SRT over UDP: datagrams above the rate are dropped by the queue and retransmitted by SRT.
run_case srt-rate2-push1.5-loss1 1500 "$seconds" srt --rate 2 --delay 20 --loss 1
run_case srt-rate2-push3 3000 "$seconds" srt --rate 2 --delay 20 --queue 200
[ "$trace_seconds" -gt 0 ] || exit 0
if [ -f "$data/profiles/rfc8867-5.1.json" ]; then
  run_case rfc8867-push3 3000 "$trace_seconds" rtmp --trace "$data/profiles/rfc8867-5.1.json"
fi
if [ -f "$data/uplink/ATT-LTE-driving-2016.up" ]; then
  run_case att-lte-push3 3000 "$trace_seconds" rtmp --trace "$data/uplink/ATT-LTE-driving-2016.up"
fi
