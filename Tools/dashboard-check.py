#!/usr/bin/env python3
"""Checks Sluice's dashboard in headless Chromium and prints one JSON report.

Drives Chromium through chromedriver (WebDriver over plain HTTP, no extra Python packages):
1. the page without a token asks for one (and shows no stream);
2. the page opened with `#token=` (the link `sluice serve` prints) lists --stream;
3. its hls.js player plays (currentTime advances) and shows a latency;
4. the viewer count on the page moves when a viewer joins (an ffmpeg RTMP player started here).
Exit 0 when all four hold. hls.js is fetched into --cache if missing (Tools/players/hlsjs-play.py).
"""
import argparse, importlib.util, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"{}").get("value")

    def start(self, chromium, profile):
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required", "--no-first-run", f"--user-data-dir={profile}"]
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome",
                                                 "goog:chromeOptions": {"binary": chromium, "args": args}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def go(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def run(self, script):
        return self.call("POST", f"/session/{self.session}/execute/sync", {"script": script, "args": []})

    def quit(self):
        if self.session:
            try:
                self.call("DELETE", f"/session/{self.session}", timeout=10)
            except Exception:
                pass


STATE = """
const s = window.sluiceDashboard || {};
const card = document.querySelector('[data-path="%s"]');
const video = card && card.querySelector('video');
return {
  ready: !!s.ready, polls: s.polls || 0, hlsError: s.hlsError || null, lastError: s.lastError || null,
  loginVisible: !document.getElementById('login').hidden,
  hlsMissingVisible: !document.getElementById('hls-missing').hidden,
  cards: document.querySelectorAll('[data-path]').length,
  listed: !!card, viewers: card ? Number(card.dataset.viewers || '0') : null,
  currentTime: video ? video.currentTime : null,
  latency: card && s.cards && s.cards.get('%s') ? s.cards.get('%s').latency : null,
  latencyText: card ? card.querySelector('.latency').textContent : null,
  publisherText: card ? card.querySelector('.publisher').textContent : null,
  hash: location.hash,
};
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--token", required=True)
    ap.add_argument("--stream", required=True, help="a live stream path, e.g. live/demo")
    ap.add_argument("--rtmp", required=True, help="RTMP URL a viewer plays, e.g. rtmp://127.0.0.1:1935/live/demo")
    ap.add_argument("--timeout", type=float, default=40, help="bound on each step (s)")
    ap.add_argument("--screenshot", help="save a PNG of the page at the end here")
    ap.add_argument("--cache", default=os.path.join(HERE, "..", ".build", "players"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "chromedriver")
    args = ap.parse_args()

    spec = importlib.util.spec_from_file_location("hlsjs_play", os.path.join(HERE, "players", "hlsjs-play.py"))
    hlsjs_play = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hlsjs_play)
    hlsjs_play.ensure_hlsjs(os.path.abspath(args.cache))

    report = {"errors": []}
    port = free_port()
    driver_proc = subprocess.Popen([args.chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
    profile = tempfile.mkdtemp(prefix="sluice-dashboard-")
    driver = WebDriver(port)
    viewer = None
    state_js = STATE % (args.stream, args.stream, args.stream)

    def wait(what, condition):
        deadline = time.time() + args.timeout
        last = None
        while time.time() < deadline:
            try:
                last = driver.run(state_js)
            except Exception as e:  # the page is (re)loading
                last = {"error": str(e)}
            if last and condition(last):
                return last
            time.sleep(0.25)
        report["errors"].append(f"{what}: not within {args.timeout} s; last state {last}")
        return None

    try:
        deadline = time.time() + 20
        while True:
            try:
                driver.call("GET", "/status", timeout=2)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        driver.start(args.chromium, profile)

        # 1. No token: the page asks for one and lists nothing.
        driver.go(args.url + "/")
        s = wait("token prompt", lambda s: s.get("ready") and s.get("loginVisible"))
        report["tokenPrompt"] = bool(s) and s["cards"] == 0

        # 2. With the printed link's fragment (a new URL, so the page loads again).
        driver.go(args.url + "/?check=1#token=" + args.token)
        s = wait("stream listed", lambda s: s.get("listed"))
        report["listed"] = bool(s)
        report["tokenLeftTheAddressBar"] = bool(s) and s["hash"] == ""

        # 3. The player plays: currentTime advances; a latency shows.
        first = wait("playback starts", lambda s: (s.get("currentTime") or 0) > 0.5)
        later = first and wait("playback advances", lambda s: (s.get("currentTime") or 0) > first["currentTime"] + 1)
        report["played"] = {"from": first and first["currentTime"], "to": later and later["currentTime"]}
        s = wait("latency shown", lambda s: s.get("latency") is not None)
        report["latencySeconds"] = s and s["latency"]
        report["hlsjs"] = bool(later) and later["hlsError"] is None
        report["publisher"] = s and s["publisherText"]

        # 4. A viewer joins: the count on the page moves.
        before = driver.run(state_js)["viewers"]
        viewer = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", args.rtmp, "-f", "null", "-"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        s = wait("viewer count moves", lambda s: (s.get("viewers") or 0) > before)
        report["viewers"] = {"before": before, "after": s and s["viewers"]}
        if args.screenshot:
            import base64
            driver.call("POST", f"/session/{driver.session}/window/rect", {"width": 1280, "height": 900})
            time.sleep(2.5)  # one more poll with the viewer counted
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(driver.call("GET", f"/session/{driver.session}/screenshot")))
    except Exception as e:
        report["errors"].append(f"{type(e).__name__}: {e}")
    finally:
        if viewer:
            os.killpg(viewer.pid, signal.SIGKILL)
            viewer.wait()
        driver.quit()
        try:
            os.killpg(driver_proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        driver_proc.wait()
        shutil.rmtree(profile, ignore_errors=True)

    ok = (not report["errors"] and report.get("tokenPrompt") and report.get("listed") and report.get("hlsjs")
          and report.get("viewers", {}).get("after"))
    report["ok"] = bool(ok)
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
