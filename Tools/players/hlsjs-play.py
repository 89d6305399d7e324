#!/usr/bin/env python3
"""Plays an HLS URL in headless Chromium (hls.js or native) and prints one JSON report.

A real player as a test client: the page (page.html) plays the stream for --seconds and
posts what happened (levels, switches, parts loaded, hls.js's own latency, errors, stall
count and seconds, mean played bitrate) back here. --abr loads an hls.js ABR controller
(Sluice's is served at /player/sluice-abr.js).

hls.js 1.6.15 is taken from the PyPI package gradio==6.31.0 at first use and cached under
--cache; it is never committed.
"""
import argparse, glob, http.server, json, os, shutil, signal, socketserver, subprocess, sys, tempfile, threading, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def ensure_hlsjs(cache):
    target = os.path.join(cache, "hls.js")
    if os.path.exists(target):
        return target
    os.makedirs(cache, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, "gradio==6.31.0"],
                       check=True)
        wheel = glob.glob(os.path.join(tmp, "gradio-*.whl"))[0]
        with zipfile.ZipFile(wheel) as z:
            name = next(n for n in z.namelist() if n.startswith("gradio/templates/frontend/assets/hls-") and n.endswith(".js"))
            with z.open(name) as src, open(target + ".part", "wb") as dst:
                shutil.copyfileobj(src, dst)
    os.replace(target + ".part", target)
    return target


def run_headless(chromium, page, done, timeout, extra_flags=()):
    """Opens `page` in a throwaway headless Chromium until `done` is set or `timeout` passes;
    always kills it and removes its profile. Returns whether `done` was set."""
    profile = tempfile.mkdtemp(prefix="sluice-chromium-")
    cmd = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--no-first-run", *extra_flags,
           f"--user-data-dir={profile}", "--remote-debugging-port=0", page]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return done.wait(timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def report_server(result, done, directory=None, files=None):
    """A local HTTP server for a page under test: the page POSTs its JSON report here (`result`
    is updated, `done` set); GET serves `files` ({path: file}) or `directory`, with CORS.
    Returns (server, base URL); call server.shutdown() when done."""
    files = files or {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=directory or HERE, **kw)

        def end_headers(self):
            self.send_header("Access-Control-Allow-Origin", "*")
            super().end_headers()

        def do_GET(self):
            path = self.path.split("?")[0]
            if path in files:
                with open(files[path], "rb") as f:
                    body = f.read()
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif directory:
                super().do_GET()
            else:
                self.send_error(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                report = json.loads(body)
                result.update(report if isinstance(report, dict) else {"fatal": "report is not an object"})
            except ValueError:
                result["fatal"] = "unreadable report"
            self.send_response(204)
            self.end_headers()
            done.set()

        def log_message(self, *a):
            pass

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # Chromium is killed mid-request at the end; that is expected

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--mode", choices=["hlsjs", "native"], default="hlsjs")
    ap.add_argument("--switch-at", type=float)
    ap.add_argument("--catch-up", type=float, help="hls.js maxLiveSyncPlaybackRate (default 1: never speeds up)")
    ap.add_argument("--abr", help="URL of an ES module exporting createSluiceAbrController(Hls), e.g. "
                                  "http://HOST:8080/player/sluice-abr.js (default: hls.js's own ABR)")
    ap.add_argument("--cache", default=os.path.join(HERE, "..", "..", ".build", "players"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = ap.parse_args()

    site = tempfile.mkdtemp(prefix="sluice-player-")
    shutil.copy(os.path.join(HERE, "page.html"), os.path.join(site, "index.html"))
    if args.mode == "hlsjs":
        shutil.copy(ensure_hlsjs(os.path.abspath(args.cache)), os.path.join(site, "hls.js"))

    result = {}
    done = threading.Event()
    server, here = report_server(result, done, directory=site)

    from urllib.parse import urlencode
    query = {"src": args.url, "seconds": args.seconds, "mode": args.mode}
    if args.switch_at is not None:
        query["switchAt"] = args.switch_at
    if args.catch_up is not None:
        query["catchUp"] = args.catch_up
    if args.abr:
        query["abr"] = args.abr
    page = f"{here}/index.html?{urlencode(query)}"
    try:
        ok = run_headless(args.chromium, page, done, args.seconds + 30)
    finally:
        server.shutdown()
        shutil.rmtree(site, ignore_errors=True)
    if not ok:
        print(json.dumps({"error": "the page never reported (chromium failed to start or the page crashed)"}))
        return 2
    samples = sorted(result.pop("latencySamples", []))
    if samples:
        result["latency"] = {"min": samples[0], "p50": samples[len(samples) // 2], "max": samples[-1], "count": len(samples)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
