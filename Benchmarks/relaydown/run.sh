#!/bin/bash
# An RTMP player behind a slow link, with and without send-delay control (Docs/Benchmarks.md,
# "RTMP player on a weak link"). Usage: Benchmarks/relaydown/run.sh [on|off] [MBPS]
# SLUICE: the sluice binary (default .build/debug/sluice); SHAPE: the binary with `sluice shape`
# (default: the same one).
set -u
MODE=${1:-on}; RATE=${2:-0.5}
SLUICE=${SLUICE:-.build/debug/sluice}; SHAPE=${SHAPE:-$SLUICE}
OUT=${OUT:-/tmp/sluice-relaydown}; mkdir -p "$OUT"
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
R=$(port); H=$(port); P=$(port)
EXTRA=(); [ "$MODE" = off ] && EXTRA=(--no-player-adaptation)
"$SLUICE" serve --host 127.0.0.1 --rtmp-port "$R" --srt-port 0 --http-port "$H" --ladder 360p:600k,240p:250k "${EXTRA[@]}" \
    > "$OUT/serve-$MODE.log" 2>&1 &
SERVER=$!
trap 'kill $PUSHER $SHAPER $SERVER 2>/dev/null; wait 2>/dev/null' EXIT
sleep 2
"$SLUICE" push "rtmp://127.0.0.1:$R/live/demo" --size 640x360 --fps 25 --kbps 1500 --duration 80 > "$OUT/push-$MODE.log" 2>&1 &
PUSHER=$!
# Shape only server → player: the player's link.
"$SHAPE" shape --listen "127.0.0.1:$P" --to "127.0.0.1:$R" --rate "$RATE" --direction down --duration 75 \
    > "$OUT/shape-$MODE.log" 2>&1 &
SHAPER=$!
sleep 8
echo "player: sluice probe over RTMP through a $RATE Mbit/s link, adaptation $MODE"
"$SLUICE" probe "rtmp://127.0.0.1:$P/live/demo" --duration 45 --json > "$OUT/probe-$MODE.log" 2>&1
echo "probe:  $(tail -1 "$OUT/probe-$MODE.log")"
TOKEN=$(grep -o 'Bearer [0-9a-f]*' "$OUT/serve-$MODE.log" | cut -d' ' -f2)
echo "status: $(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$H/api/v1/streams" | python3 -c 'import json,sys; s=json.load(sys.stdin)["streams"]; print([(x["path"], x["playerAdaptation"]) for x in s])')"
grep -E "moved|skipped" "$OUT/serve-$MODE.log" | sed 's/^.*info sluice: /log:    /'
kill -INT $SHAPER 2>/dev/null; wait $SHAPER 2>/dev/null
echo "link:   $(tail -1 "$OUT/shape-$MODE.log")"
