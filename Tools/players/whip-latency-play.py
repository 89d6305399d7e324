#!/usr/bin/env python3
"""Glass-to-glass from a browser publisher: WHIP in, LL-HLS out, one headless Chromium.

Opens Sluice's /player/clock, which draws the pixel clock into a canvas every frame and
publishes it over WHIP to --dst; once --src (the stream's rendition playlist) answers, the
page shows /player/latency on --src below itself (hls.js, the same reader as every other
tier), so drawing and reading share one browser and one clock. Prints the latency page's
report with the publisher's (frames encoded, size sent, encoder) under "publisher".
"""
import argparse, importlib.util, json, os, shutil, sys, threading, time
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))


def player():
    """hlsjs-play.py as a module: its hls.js cache, headless Chromium runner and report server."""
    spec = importlib.util.spec_from_file_location("hlsjs_play", os.path.join(HERE, "hlsjs-play.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="the Sluice under test, e.g. http://127.0.0.1:8080")
    ap.add_argument("--dst", required=True, help="WHIP URL path, e.g. /whip/live/clock")
    ap.add_argument("--src", required=True, help="the playlist to play, e.g. http://127.0.0.1:8080/live/clock/720p/index.m3u8")
    ap.add_argument("--key", help="publish key")
    ap.add_argument("--mode", choices=["hlsjs", "hlsjs-default"], default="hlsjs")
    ap.add_argument("--abr", choices=["sluice", "default"], default="default")
    ap.add_argument("--config", help="JSON object of hls.js settings applied on top of the mode's")
    ap.add_argument("--size", default="1280x720", help="canvas size the clock is drawn and published at")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--no-audio", action="store_true", help="publish video only (no Opus tone)")
    ap.add_argument("--seconds", type=float, default=10, help="seconds the player plays")
    ap.add_argument("--ready-timeout", type=float, default=90, help="seconds to wait for the ladder to list --src")
    ap.add_argument("--cache", default=os.path.join(HERE, "..", "..", ".build", "players"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = ap.parse_args()

    p = player()
    hlsjs = p.ensure_hlsjs(os.path.abspath(args.cache))
    watched, publisher = {}, {}
    watched_done, publisher_done, both = threading.Event(), threading.Event(), threading.Event()
    watch_server, watch_here = p.report_server(watched, watched_done, files={"/hls.js": hlsjs})
    clock_server, clock_here = p.report_server(publisher, publisher_done)

    def combine():
        # Both reports, or the publisher's alone when it failed (the player then never starts).
        while not both.is_set():
            if watched_done.is_set() and publisher_done.is_set() or publisher_done.is_set() and publisher.get("fatal"):
                both.set()
            time.sleep(0.1)
    threading.Thread(target=combine, daemon=True).start()

    base = args.server.rstrip("/")
    query = {"src": args.src, "mode": args.mode, "seconds": args.seconds, "report": watch_here + "/result",
             "hls": watch_here + "/hls.js", "abr": args.abr}
    if args.config:
        query["config"] = args.config
    watch = base + "/player/latency?" + urlencode(query)
    clock = {"dst": args.dst, "size": args.size, "fps": args.fps, "seconds": args.seconds + 3,
             "report": clock_here + "/result", "watch": watch, "ready": args.src}
    if args.key:
        clock["key"] = args.key
    if args.no_audio:
        clock["audio"] = 0
    page = base + "/player/clock?" + urlencode(clock)
    try:
        p.run_headless(args.chromium, page, both, args.seconds + args.ready_timeout + 30)
    finally:
        both.set()
        watch_server.shutdown()
        clock_server.shutdown()
    if not watched_done.is_set():
        why = publisher.get("fatal") or "the latency page never reported (the stream never became ready, or chromium failed)"
        print(json.dumps({"fatal": why, "publisher": publisher, "page": page}))
        return 2
    watched["publisher"] = publisher
    print(json.dumps(watched))
    return 0


if __name__ == "__main__":
    sys.exit(main())
