#!/usr/bin/env python3
"""Opens Sluice's glass-to-glass page (/player/latency) in headless Chromium and prints its report.

The page (served by the Sluice under test) plays --src with hls.js or natively, reads the pixel
clock `sluice push` draws into every frame, and POSTs its result (per-frame glass-to-glass in
ms, first frame, stalls, renditions shown) here after --seconds. hls.js 1.6.15 comes from the
same cache as hlsjs-play.py and is served from here with CORS, so the page needs no internet.
"""
import argparse, importlib.util, json, os, shutil, sys, threading
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))


def player():
    """hlsjs-play.py as a module: its hls.js cache and its headless Chromium runner."""
    spec = importlib.util.spec_from_file_location("hlsjs_play", os.path.join(HERE, "hlsjs-play.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="the Sluice serving /player/latency, e.g. http://127.0.0.1:8080")
    ap.add_argument("--src", required=True, help="playlist URL, e.g. http://127.0.0.1:8080/live/demo/index.m3u8")
    ap.add_argument("--mode", choices=["hlsjs", "hlsjs-default", "native"], default="hlsjs")
    ap.add_argument("--abr", choices=["sluice", "default"], default="sluice")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--config", help="JSON object of hls.js settings applied on top of the mode's")
    ap.add_argument("--level", help="hls.js plays only the rendition of this height (e.g. 720)")
    ap.add_argument("--cache", default=os.path.join(HERE, "..", "..", ".build", "players"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    # A small window: the page shows the video scaled down, so Chromium's software compositor
    # draws a quarter of what its default 800x600 window costs; decoding and frame timing are
    # the same (Docs/Benchmarks.md, CPU accounting of `bench latency --player`).
    ap.add_argument("--window-size", default="480,270", help="Chromium's window, W,H")
    args = ap.parse_args()

    hlsjs = player().ensure_hlsjs(os.path.abspath(args.cache)) if args.mode != "native" else None
    result = {}
    done = threading.Event()

    server, here = player().report_server(result, done, files={"/hls.js": hlsjs} if hlsjs else None)
    query = {"src": args.src, "mode": args.mode, "seconds": args.seconds, "report": here + "/result",
             "hls": here + "/hls.js", "abr": args.abr}
    if args.config:
        query["config"] = args.config
    if args.level:
        query["level"] = args.level
    page = args.server.rstrip("/") + "/player/latency?" + urlencode(query)
    try:
        ok = player().run_headless(args.chromium, page, done, args.seconds + 40,
                                   (f"--window-size={args.window_size}",))
    finally:
        server.shutdown()
    if not ok:
        print(json.dumps({"error": "the page never reported (chromium failed to start or the page crashed)", "page": page}))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
