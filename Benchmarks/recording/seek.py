#!/usr/bin/env python3
"""Seek benchmark: time to first frame after a seek in a long recording, with hls.js in headless Chromium.

  python3 Benchmarks/recording/seek.py --url http://127.0.0.1:8080/recordings/live/x/ID/index.m3u8 --seeks 30

The page (seek.html) loads the recording, starts playing, then seeks to --seeks pseudo-random
points (fixed seed) and measures, for each, the time from setting currentTime to the first frame
presented at the target (requestVideoFrameCallback). Prints one JSON line: samples (ms), p50,
p95, max, errors. hls.js 1.6.15 comes from Tools/players (cached under .build/players).
"""
import argparse, http.server, importlib.util, json, os, shutil, socketserver, sys, tempfile, threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--seeks", type=int, default=30)
    ap.add_argument("--cache", default=os.path.join(ROOT, ".build", "players"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("hlsjs_play", os.path.join(ROOT, "Tools", "players", "hlsjs-play.py"))
    player = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(player)
    site = tempfile.mkdtemp(prefix="sluice-seek-")
    shutil.copy(os.path.join(HERE, "seek.html"), os.path.join(site, "index.html"))
    shutil.copy(player.ensure_hlsjs(os.path.abspath(args.cache)), os.path.join(site, "hls.js"))
    result, done = {}, threading.Event()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=site, **kw)

        def do_POST(self):
            result.update(json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0")))))
            self.send_response(204)
            self.end_headers()
            done.set()

        def log_message(self, *a):
            pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    from urllib.parse import urlencode
    page = f"http://127.0.0.1:{server.server_address[1]}/index.html?{urlencode({'src': args.url, 'seeks': args.seeks})}"
    try:
        ok = player.run_headless(args.chromium, page, done, 90 + args.seeks * 16)
    finally:
        server.shutdown()
        shutil.rmtree(site, ignore_errors=True)
    if not ok:
        print(json.dumps({"error": "the page never reported"}))
        return 2
    s = sorted(result.get("samples", []))
    if s:
        result.update(p50=s[len(s) // 2], p95=s[min(len(s) - 1, int(len(s) * 0.95))], max=s[-1], count=len(s))
    print(json.dumps(result))
    return 0 if len(s) == args.seeks else 1  # non-fatal hls.js errors are reported, not failures


if __name__ == "__main__":
    sys.exit(main())
