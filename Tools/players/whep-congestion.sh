#!/bin/bash
# Chromium plays a WHEP stream through `sluice shape --udp` whose capacity follows STEPS (JSON
# steps_kbps_seconds); the viewer's rung and signals are polled from the status API.
# Usage: Tools/players/whep-congestion.sh OUTDIR STEPS.json [BUILD_DIR]   (from the repository root)
# Writes OUTDIR/poll.jsonl (t = seconds since the shaper started), play.json, serve.log, shape.log.
set -u
OUT=$1; STEPS=$2; B=${3:-.build/debug}
mkdir -p "$OUT"
# The answer's candidate is 127.0.0.2:18199, where the shaper listens; Sluice binds 127.0.0.1:18199.
SLUICE_API_TOKEN= SLUICE_WEBRTC_PORT=18199 SLUICE_WEBRTC_ADVERTISED_IP=127.0.0.2 "$B/sluice" serve --host 127.0.0.1 \
  --rtmp-port 19362 --srt-port 0 --http-port 18092 --ladder 720p:2500k,360p:700k > "$OUT/serve.log" 2>&1 &
SERVE=$!
sleep 3
"$B/sluice" push rtmp://127.0.0.1:19362/live/show --size 1280x720 --fps 30 --kbps 2500 --duration 200 > "$OUT/push.log" 2>&1 &
PUSH=$!
sleep 12
T0=$(date +%s.%N)
"$B/sluice" shape --udp --listen 127.0.0.2:18199 --to 127.0.0.1:18199 --trace "$STEPS" --queue 300 --duration 150 \
  > "$OUT/shape.log" 2>&1 &
SHAPE=$!
python3 Tools/players/whep-players-poll.py http://127.0.0.1:18092/api/v1/streams/live/show "$T0" 140 > "$OUT/poll.jsonl" &
POLL=$!
python3 Tools/players/webrtc-play.py --server http://127.0.0.1:18092 --src /whep/live/show --seconds 130 > "$OUT/play.json" 2> "$OUT/play.err"
wait $POLL
kill $SHAPE $PUSH $SERVE 2>/dev/null
wait
