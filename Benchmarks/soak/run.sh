#!/usr/bin/env bash
# `make soak` (not in CI): a long run under a realistic mixed load, to show that memory and
# descriptors stay flat. Loopback only; every process stops by itself.
#   - 4 publishers: 2 RTMP, 2 SRT (ffmpeg, 640x360 + AAC, real time); one RTMP publisher
#     reconnects every 20 s;
#   - N LL-HLS viewers (`sluice bench viewers`, blocking reloads, every part);
#   - 50 RTMP players (ffmpeg) joining and leaving.
# Every 10 s it samples the server's RSS and open descriptors; at the end it prints the samples,
# the drift after warm-up (first 20 % of the run) and whether every publish was in the API.
# Usage: Benchmarks/soak/run.sh [seconds=1800] [viewers=1000]   (see Docs/Benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-1800}
viewers=${2:-1000}
out=.build/bench/soak
sluice=.build/release/sluice
mkdir -p "$out"
for tool in ffmpeg curl; do command -v "$tool" >/dev/null || { echo "needs $tool"; exit 1; }; done
[ -x "$sluice" ] || { echo "needs $sluice (make release)"; exit 1; }
# With autogroup on, `nice` only ranks processes inside one session: a soak "at nice -10" still
# shares the CPU equally with a build started from another shell (Docs/Development.md).
if [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo 0)" = 1 ]; then
  echo "note: kernel.sched_autogroup_enabled=1, so nice does not protect this run from other sessions' work" >&2
fi

rtmp=19351 srt=19001 http=18088
"$sluice" serve --host 127.0.0.1 --rtmp-port $rtmp --srt-port $srt --http-port $http \
  --ladder 360p:600k,240p:300k > "$out/serve.out" 2> "$out/serve.err" &
server=$!
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 60); do grep -q "HLS:  play" "$out/serve.out" 2>/dev/null && break; sleep 0.5; done

source_args=(-hide_banner -loglevel error -re -f lavfi -i testsrc2=size=640x360:rate=25
  -f lavfi -i sine=frequency=440:sample_rate=48000 -c:v libx264 -preset ultrafast -tune zerolatency
  -g 50 -b:v 800k -pix_fmt yuv420p -c:a aac -b:a 64k)
publish_rtmp() { ffmpeg "${source_args[@]}" -t "$2" -f flv "rtmp://127.0.0.1:$rtmp/live/$1" </dev/null; }
publish_srt() { ffmpeg "${source_args[@]}" -t "$2" -f mpegts "srt://127.0.0.1:$srt?streamid=live/$1&pkt_size=1316" </dev/null; }

# The steady publishers outlive the viewers by 15 s: a viewer that reloads after its stream
# ended gets a 404, which would be counted as an error of the server.
publish_rtmp soak1 "$((seconds + 15))" & pids+=($!)
publish_srt soak2 "$((seconds + 15))" & pids+=($!)
publish_srt soak3 "$((seconds + 15))" & pids+=($!)
( end=$((SECONDS + seconds)); while [ $SECONDS -lt $end ]; do publish_rtmp soak4 20 || true; done ) & pids+=($!)
sleep 8
api_token=$(grep -o 'Bearer [0-9a-f]*' "$out/serve.out" | cut -d' ' -f2) # for the origin's request counters

"$sluice" bench viewers --url "http://127.0.0.1:$http/live/soak1/index.m3u8" --count "$viewers" \
  --duration "$((seconds - 10))" --server-pid "$server" --api-token "$api_token" --json > "$out/viewers.log" 2>&1 & pids+=($!)
# 50 RTMP players, each watching 5-30 s then leaving and coming back.
for i in $(seq 50); do
  ( end=$((SECONDS + seconds - 10)); while [ $SECONDS -lt $end ]; do
      timeout $((5 + RANDOM % 25)) ffmpeg -hide_banner -loglevel quiet -i "rtmp://127.0.0.1:$rtmp/live/soak$((1 + i % 4))" \
        -c copy -f null - </dev/null || true
    done ) & pids+=($!)
done

samples=$out/samples.tsv
echo -e "t_s\trss_kb\tfds\tstreams" > "$samples"
missing=0
start=$SECONDS
while [ $((SECONDS - start)) -lt $((seconds - 10)) ]; do
  sleep 10
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
  fds=$(ls "/proc/$server/fd" | wc -l)
  token=$(grep -o 'Bearer [0-9a-f]*' "$out/serve.out" | cut -d' ' -f2)
  status=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$http/api/v1/streams" | tr -d '\\' || echo "{}") # JSON escapes "/"
  streams=$( (grep -o '"live/soak[0-9]"' <<<"$status" || true) | sort -u | wc -l)
  # soak4 reconnects every 20 s and may be between publishes; the other three must be there.
  for s in soak1 soak2 soak3; do grep -q "\"live/$s\"" <<<"$status" || missing=$((missing + 1)); done
  echo -e "$((SECONDS - start))\t$rss\t$fds\t$streams" | tee -a "$samples"
done
wait "${pids[4]}" || true

echo "-- viewers"; tail -3 "$out/viewers.log"
awk -v missing="$missing" 'NR == 1 { next } { t[NR] = $1; r[NR] = $2; f[NR] = $3; n = NR }
  END {
    w = int(2 + (n - 1) * 0.2); lo_r = hi_r = r[w]; lo_f = hi_f = f[w]
    for (i = w; i <= n; i++) { if (r[i] < lo_r) lo_r = r[i]; if (r[i] > hi_r) hi_r = r[i]; if (f[i] < lo_f) lo_f = f[i]; if (f[i] > hi_f) hi_f = f[i] }
    printf "after warm-up (t >= %s s): RSS %d..%d kB (%+.1f%% of the low), fds %d..%d (%+.1f%%)\n", t[w], lo_r, hi_r, (hi_r - lo_r) * 100 / lo_r, lo_f, hi_f, (hi_f - lo_f) * 100 / lo_f
    printf "samples where a steady publisher was missing from the API: %d\n", missing
  }' "$samples"
echo "-- server log lines at warning or above:"
grep -c -E " (warning|error|critical) " "$out/serve.err" || true
