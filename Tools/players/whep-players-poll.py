#!/usr/bin/env python3
"""Prints a stream's WHEP viewers from the status API every half second, as JSON lines:
seconds since T0, rung, moves, keyframe skips and the signals the rung policy decides on.
Usage: whep-players-poll.py STATUS_URL T0_UNIX_SECONDS DURATION_SECONDS"""
import json, sys, time, urllib.request

url, t0, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
keys = ["rendition", "movesDown", "movesUp", "keyframeSkips", "estimateKbps", "sentKbps", "lossPercent", "rttMs"]
end = time.time() + seconds
while time.time() < end:
    try:
        status = json.load(urllib.request.urlopen(url, timeout=2))
        for p in status.get("players", []):
            if p.get("transport") == "webrtc":
                print(json.dumps({"t": round(time.time() - t0, 1), **{k: p.get(k) for k in keys}}), flush=True)
    except Exception as e:  # the server starting or gone: say so and go on
        print(json.dumps({"t": round(time.time() - t0, 1), "error": str(e)}), flush=True)
    time.sleep(0.5)
