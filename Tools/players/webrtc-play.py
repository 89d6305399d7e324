#!/usr/bin/env python3
"""Opens one of Sluice's WebRTC pages in headless Chromium and prints its JSON report.

--page webrtc: /player/webrtc plays --src (/whep/live/show[/rendition]) over WHEP and reports
frames decoded (getStats), freezes, the first frame after the POST and, when `sluice push`
draws the pixel clock, glass-to-glass per frame. --page stage: /player/stage publishes
Chromium's fake camera and microphone to --dst (/whip/live/guest) over WHIP and reports
frames encoded and bytes sent. The page POSTs its report here after --seconds.
"""
import argparse, http.server, json, os, shutil, signal, socketserver, subprocess, sys, tempfile, threading
from urllib.parse import urlencode


def run_headless(chromium, page, done, timeout):
    """Like hlsjs-play.py's runner, with Chromium's fake camera and microphone allowed."""
    profile = tempfile.mkdtemp(prefix="sluice-chromium-")
    cmd = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--no-first-run",
           "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
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

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                result.update(json.loads(body))
            except ValueError:
                result["fatal"] = "unreadable report"
            self.send_response(204)
            self.send_header("Access-Control-Allow-Origin", "*")
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
    query = {"seconds": args.seconds, "report": f"http://127.0.0.1:{server.server_address[1]}/result"}
    if args.page == "webrtc":
        query["src"] = args.src
    else:
        query["dst"] = args.dst
        if args.key:
            query["key"] = args.key
    page = args.server.rstrip("/") + f"/player/{args.page}?" + urlencode(query)
    try:
        ok = run_headless(args.chromium, page, done, args.seconds + 30)
    finally:
        server.shutdown()
    if not ok:
        print(json.dumps({"fatal": "the page never reported (chromium failed to start or the page crashed)", "page": page}))
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
