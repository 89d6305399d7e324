#!/usr/bin/env python3
"""Posts timed events to a live Sluice stream while hls.js plays it in headless Chromium, and
prints one JSON report of where each event landed, per player.

Each --player opens Sluice's own web player (`/player?src=…`) in an iframe of one headless
Chromium page (WebDriver through chromedriver, as Tools/dashboard-check.py does) with the given query, e.g.
`level=0`, `level=1` (a pinned rendition) or `toggle=2` (switch renditions every 2 s). Once all
play, --events events are posted (`at: "now"`, --gap s apart) through
`POST /api/v1/streams/{stream}/events`. For every player and event the report gives:
  time          the emsg's time on the player's media timeline (hls.js FRAG_PARSING_METADATA)
  dateRangeTime the EXT-X-DATERANGE's time, mapped by hls.js through PROGRAM-DATE-TIME
  shownFrame    mediaTime of the frame on which the page showed the card (requestVideoFrameCallback)
  frameDelta    shownFrame - time (0: the card came up on the targeted frame)
  lead          time - currentTime when the metadata arrived (how early the player had it)
hls.js is served by Sluice at /dashboard/hls.mjs (dashboard.hlsjsPath, or .build/players/hls.js).
"""
import argparse, importlib.util, json, os, shutil, signal, subprocess, sys, tempfile, time, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

STATE = """
const frame = document.querySelectorAll('iframe')[%d];
const w = frame && frame.contentWindow;
const s = w && w.sluicePlayer;
const v = w && w.document.getElementById('v');
if (!s) return {ready: false};
// hls.js maps START-DATE through the fragment it anchors the range to; read it now, after the
// fragments were parsed (their start is then the parsed one, not the playlist's estimate).
const dateRange = (e) => {
  for (const l of s.hls.levels) {
    const r = l.details && l.details.dateRanges && l.details.dateRanges[e.id];
    if (r && Number.isFinite(r.startTime)) return r.startTime;
  }
  return e.dateRangeTime;
};
const level = s.hls.levels[s.hls.currentLevel];
return {ready: true, currentTime: v.currentTime, frames: s.frames, errors: s.errors, switches: s.switches,
        level: s.hls.currentLevel, fps: level ? (level.frameRate || null) : null,
        cardVisible: !w.document.getElementById('card').hidden,
        events: Array.from(s.events.values()).map(e => ({id: e.id, type: e.type, time: e.time, dateRangeTime: dateRange(e),
          shownFrame: e.shownFrame, previousFrame: e.previousFrame, shownLevel: e.shownLevel, arrivals: e.arrivals}))};
"""


def load(name, file):
    spec = importlib.util.spec_from_file_location(name, file)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--token", default="", help="the operator token (API)")
    ap.add_argument("--stream", required=True, help="live path, e.g. live/show")
    ap.add_argument("--player", action="append", default=[], help="player page query, e.g. level=0 (repeatable)")
    ap.add_argument("--events", type=int, default=1)
    ap.add_argument("--gap", type=float, default=1.0, help="seconds between events")
    ap.add_argument("--one-at-a-time", action="store_true",
                    help="play the --player pages one after the other, each with its own --events (default: side by side)")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of playback before the first event")
    ap.add_argument("--timeout", type=float, default=40, help="bound on each wait (s)")
    ap.add_argument("--cache", default=os.path.join(HERE, "..", "..", ".build", "players"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "chromedriver")
    args = ap.parse_args()
    players = args.player or ["level=0"]

    dash = load("dashboard_check", os.path.join(HERE, "..", "dashboard-check.py"))
    load("hlsjs_play", os.path.join(HERE, "hlsjs-play.py")).ensure_hlsjs(os.path.abspath(args.cache))

    report = {"errors": [], "posted": [], "players": []}
    port = dash.free_port()
    driver_proc = subprocess.Popen([args.chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
    driver, profile = None, None
    n_players = [len(players)]

    def state(i):
        try:
            return driver.run(STATE % i)
        except Exception as e:
            return {"ready": False, "error": str(e)}

    def wait(what, condition):
        deadline = time.time() + args.timeout
        last = None
        while time.time() < deadline:
            last = [state(i) for i in range(n_players[0])]
            if all(condition(s) for s in last):
                return last
            time.sleep(0.2)
        report["errors"].append(f"{what}: not within {args.timeout} s; last {json.dumps(last)[:600]}")
        return last

    def run(group):
        n_players[0] = len(group)
        driver.call("POST", f"/session/{driver.session}/window/rect", {"width": 480 * len(group) + 40, "height": 420})
        driver.go(f"{args.url}/healthz")
        frames = "".join(
            f'<iframe style="width:460px;height:380px;border:0" src="/player?src=/{args.stream}/index.m3u8'
            f'&hls=/dashboard/hls.mjs&abr=default&{spec}"></iframe>' for spec in group)
        driver.run(f"document.open(); document.write({json.dumps('<!doctype html><body style=margin:0>' + frames)}); document.close();")
        posted = []
        first = wait("playback starts", lambda s: s.get("ready") and s.get("currentTime", 0) > 0.3)
        time.sleep(args.warmup)
        for i in range(args.events):
            body = json.dumps({"at": "now", "type": "product",
                               "payload": {"title": f"Product {len(report['posted']) + i + 1}", "price": 10 + i}}).encode()
            req = urllib.request.Request(f"{args.url}/api/v1/streams/{args.stream}/events", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {args.token}"})
            with urllib.request.urlopen(req, timeout=10) as r:
                posted.append(json.loads(r.read()))
            if i + 1 < args.events:
                time.sleep(args.gap)
        ids = [e["id"] for e in posted]

        def all_shown(s):
            shown = {e["id"] for e in s.get("events", []) if e.get("shownFrame") is not None and e.get("dateRangeTime") is not None}
            return set(ids) <= shown
        final = wait("every event shown", all_shown)
        report["posted"] += posted
        for spec, s in zip(group, final):
            fps = s.get("fps") or 0
            out = {"player": spec, "frames": s.get("frames"), "errors": s.get("errors"), "switches": s.get("switches"),
                   "fps": fps, "events": []}
            for e in s.get("events", []):
                if e["id"] not in ids:
                    continue
                arrivals = e.get("arrivals") or []
                row = {"id": e["id"], "time": e.get("time"), "dateRangeTime": e.get("dateRangeTime"),
                       "shownFrame": e.get("shownFrame"), "previousFrame": e.get("previousFrame"),
                       "shownLevel": e.get("shownLevel"), "arrivalLevels": sorted({a["level"] for a in arrivals})}
                if e.get("time") is not None and e.get("shownFrame") is not None:
                    row["frameDelta"] = e["shownFrame"] - e["time"]
                if arrivals:
                    row["lead"] = e["time"] - arrivals[0]["currentTime"]
                if e.get("time") is not None and e.get("dateRangeTime") is not None:
                    row["dateRangeDelta"] = e["dateRangeTime"] - e["time"]
                out["events"].append(row)
            out["posted"] = ids
            report["players"].append(out)

    try:
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2).read()
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        # One browser, the players side by side in same-origin iframes of one visible page
        # (a second headless session or a background window stops presenting frames).
        driver = dash.WebDriver(port)
        profile = tempfile.mkdtemp(prefix="sluice-events-")
        driver.start(args.chromium, profile)
        for group in ([[p] for p in players] if args.one_at_a_time else [players]):
            run(group)
    except Exception as e:
        report["errors"].append(f"{type(e).__name__}: {e}")
    finally:
        if driver:
            driver.quit()
        try:
            os.killpg(driver_proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        driver_proc.wait()
        if profile:
            shutil.rmtree(profile, ignore_errors=True)

    deltas = [abs(e["frameDelta"]) for p in report["players"] for e in p["events"] if "frameDelta" in e]
    leads = [e["lead"] for p in report["players"] for e in p["events"] if "lead" in e]
    if deltas:
        report["summary"] = {"events": len(deltas), "maxFrameDeltaMs": round(max(deltas) * 1000, 2),
                             "meanFrameDeltaMs": round(sum(deltas) / len(deltas) * 1000, 2),
                             "minLeadMs": round(min(leads) * 1000, 1) if leads else None,
                             "maxLeadMs": round(max(leads) * 1000, 1) if leads else None}
    report["ok"] = not report["errors"] and all(len(p["events"]) == len(p["posted"]) for p in report["players"])
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
