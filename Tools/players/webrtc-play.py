#!/usr/bin/env python3
"""Opens one of Sluice's WebRTC pages in headless Chromium and prints its JSON report.

--page webrtc: /player/webrtc plays --src (/whep/live/show[/rendition]) over WHEP and reports
frames decoded (getStats), freezes, the first frame after the POST and, when `sluice push`
draws the pixel clock, glass-to-glass per frame. --page stage: /player/stage publishes
Chromium's fake camera and microphone to --dst (/whip/live/guest) over WHIP and reports
frames encoded and bytes sent. The page POSTs its report here after --seconds.
"""
import argparse, importlib.util, json, os, shutil, sys, threading
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))


def player():
    """hlsjs-play.py as a module: its headless Chromium runner and report server."""
    spec = importlib.util.spec_from_file_location("hlsjs_play", os.path.join(HERE, "hlsjs-play.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The pages may use Chromium's fake camera and microphone without a prompt.
FAKE_MEDIA = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="the Sluice serving the pages, e.g. http://127.0.0.1:8080")
    ap.add_argument("--page", choices=["webrtc", "stage"], default="webrtc")
    ap.add_argument("--src", help="webrtc: the WHEP URL, e.g. /whep/live/show")
    ap.add_argument("--dst", help="stage: the WHIP URL, e.g. /whip/live/guest")
    ap.add_argument("--key", help="stage: the publish key")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = ap.parse_args()

    result = {}
    done = threading.Event()

    server, here = player().report_server(result, done)
    query = {"seconds": args.seconds, "report": here + "/result"}
    if args.page == "webrtc":
        query["src"] = args.src
    else:
        query["dst"] = args.dst
        if args.key:
            query["key"] = args.key
    page = args.server.rstrip("/") + f"/player/{args.page}?" + urlencode(query)
    try:
        ok = player().run_headless(args.chromium, page, done, args.seconds + 30, FAKE_MEDIA)
    finally:
        server.shutdown()
    if not ok:
        print(json.dumps({"fatal": "the page never reported (chromium failed to start or the page crashed)", "page": page}))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
