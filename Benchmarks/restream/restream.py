#!/usr/bin/env python3
"""Restream with a destination killed and restarted (issue 13's goal; Docs/Benchmarks.md "Restream").

One ffmpeg source (640x360 25 fps H.264 + AAC, -re) is pushed into Sluice A, which forwards its
source to three destinations at once: nginx-rtmp, a second Sluice (B) and an SRT listener (an
ffprobe in listener mode). One of them is SIGKILLed, kept down, and started again. Every receiver
logs each video frame's DTS and its wall-clock arrival:

  reference   a player of Sluice A's own RTMP output (what the hub hands out)
  local HLS   an LL-HLS viewer of Sluice A (blocking reloads, every part)
  nginx-rtmp  a player of nginx-rtmp (rtmp://.../live/show)
  sluice-b    a player of Sluice B
  srt         the SRT listener itself

and the forwarder's state is polled from Sluice A's API every 100 ms. Printed: per receiver the
frames, media span, largest DTS step and largest wall-clock gap between frames (parts for HLS)
inside the measured window; for the killed one the outage and its reconnect time.
"""
import argparse, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--kill", choices=["nginx", "sluice-b", "srt"], default="nginx")
ap.add_argument("--before", type=float, default=15, help="seconds measured before the kill")
ap.add_argument("--down", type=float, default=5, help="seconds the killed destination stays down")
ap.add_argument("--after", type=float, default=20, help="seconds measured after the restart")
ap.add_argument("--sluice", default=os.environ.get("SLUICE", ".build/debug/sluice"))
args = ap.parse_args()
victim = {"nginx": "nginx-rtmp"}.get(args.kill, args.kill)  # the receiver / forward of the killed one

work = tempfile.mkdtemp(prefix="sluice-restream-")
procs = []  # (name, Popen) of everything started here, stopped at exit
stopping = threading.Event()
TOKEN = "restream-bench"


def port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(name, argv, env=None, **kw):
    log = open(os.path.join(work, name.replace("/", "_") + ".log"), "ab")
    p = subprocess.Popen(argv, stdout=kw.pop("stdout", log), stderr=log, stdin=subprocess.DEVNULL,
                         env={**os.environ, **(env or {})}, **kw)
    procs.append((name, p))
    return p


def stop_all():
    stopping.set()
    for _, p in reversed(procs):
        if p.poll() is None:
            p.kill()
    for _, p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


RA, SA, HA = port(), port(), port()
RB, SB, HB = port(), port(), port()
NG, SL = port(), port()


def sluice(name, rtmp, srt, http, extra):
    return start(name, [args.sluice, "serve", "--host", "127.0.0.1", "--rtmp-port", str(rtmp), "--srt-port", str(srt),
                        "--http-port", str(http), "--log-level", "warning"] + extra, env={"SLUICE_API_TOKEN": TOKEN})


def nginx():
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 64; }}
rtmp {{ server {{ listen 127.0.0.1:{NG}; application live {{ live on; }} }} }}
""")
    return start("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf, "-p", work])


def api(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{HA}/api/v1/{path}", method=method,
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"{}")


def wait_for(cond, seconds, what):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if cond():
                return
        except Exception:
            pass
        time.sleep(0.1)
    sys.exit(f"restream bench: timed out waiting for {what} (logs in {work})")


class FrameReader(threading.Thread):
    """ffprobe printing each video packet's DTS as it arrives; restarted when it ends (a killed
    peer ends it). sessions: one list of (arrival, dts) per ffprobe run."""

    def __init__(self, name, url, spawn=True):
        super().__init__(daemon=True)
        self.name_, self.url, self.spawn = name, url, spawn
        self.sessions = []
        self.proc = None
        self.paused = threading.Event()

    def run(self):
        while not stopping.is_set():
            if self.paused.is_set():
                time.sleep(0.05)
                continue
            self.proc = start(self.name_, ["stdbuf", "-oL", "ffprobe", "-v", "error", "-select_streams", "v:0",
                                           "-show_entries", "packet=dts_time", "-of", "csv=p=0", self.url],
                              stdout=subprocess.PIPE)
            frames = []
            self.sessions.append(frames)
            for line in self.proc.stdout:
                try:
                    frames.append((time.time(), float(line.strip().rstrip(b","))))
                except ValueError:
                    pass
            self.proc.wait()
            time.sleep(0.2)


class HLSViewer(threading.Thread):
    """An LL-HLS viewer: blocking reload for the next part, then every new part; (arrival, msn, part, duration)."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.parts, self.errors = url, [], 0

    def get(self, url):
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read()

    def run(self):
        base = self.url.rsplit("/", 1)[0]
        seen, nxt = set(), None
        while not stopping.is_set():
            try:
                q = f"?_HLS_msn={nxt[0]}&_HLS_part={nxt[1]}" if nxt else ""
                text = self.get(self.url + q).decode()
            except Exception:
                self.errors += 1
                time.sleep(0.1)
                continue
            msn = None
            part = 0
            last = None
            for line in text.splitlines():
                if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
                    msn = int(line.split(":")[1])
                    part = 0
                elif line.startswith("#EXT-X-PART:"):
                    attrs = dict(a.split("=", 1) for a in line[len("#EXT-X-PART:"):].split(","))
                    uri = attrs["URI"].strip('"')
                    if (msn, part) not in seen and msn is not None:
                        try:
                            self.get(f"{base}/{uri}")
                            seen.add((msn, part))
                            if nxt is not None:  # the first playlist's parts are history, not arrivals
                                self.parts.append((time.time(), msn, part, float(attrs["DURATION"])))
                        except Exception:
                            self.errors += 1
                    last = (msn, part)
                    part += 1
                elif line.startswith("#EXTINF") or (line and not line.startswith("#")):
                    if not line.startswith("#"):
                        msn += 1
                        part = 0
            if last:
                nxt = (last[0], last[1] + 1)


class ForwardWatch(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.samples = []  # (time, {url: status})

    def run(self):
        while not stopping.is_set():
            try:
                self.samples.append((time.time(), {f["id"]: f for f in api("GET", "forwards")["forwards"]}))
            except Exception:
                pass
            time.sleep(0.1)


def stats(frames, lo, hi):
    f = [x for x in frames if lo <= x[0] <= hi]
    if len(f) < 2:
        return None
    gaps = [b[0] - a[0] for a, b in zip(f, f[1:])]
    steps = [b[1] - a[1] for a, b in zip(f, f[1:])]
    return {"frames": len(f), "span": f[-1][1] - f[0][1], "wall": f[-1][0] - f[0][0],
            "maxGapMs": max(gaps) * 1000, "maxStepMs": max(steps) * 1000, "minStepMs": min(steps) * 1000}


try:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    total = args.before + args.down + args.after + 30
    start_nginx = nginx()
    a = sluice("sluice-a", RA, SA, HA, ["--ladder", "240p:250k"])
    b = sluice("sluice-b", RB, SB, HB, ["--no-transcode"])
    wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{HA}/healthz", timeout=1).status == 200, 30, "Sluice A")
    wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{HB}/healthz", timeout=1).status == 200, 30, "Sluice B")
    srt = FrameReader("srt", f"srt://127.0.0.1:{SL}?mode=listener&latency=120000")
    srt.start()
    start("ffmpeg-source", ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
                            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                            "-t", str(int(total) + 20), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50",
                            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", f"rtmp://127.0.0.1:{RA}/live/show"])
    urls = {"nginx-rtmp": f"rtmp://127.0.0.1:{NG}/live/show", "sluice-b": f"rtmp://127.0.0.1:{RB}/live/show",
            "srt": f"srt://127.0.0.1:{SL}?streamid=live/show&latency=120000&pkt_size=1316"}
    ids = {name: api("POST", "forwards", {"path": "live/show", "url": u})["id"] for name, u in urls.items()}
    by_id = lambda st, name: next((f for f in st["forwards"] if f["id"] == ids[name]), None)
    wait_for(lambda: all(by_id(api("GET", "forwards"), n)["state"] == "live" for n in ids), 60, "every forward live")

    readers = {"reference": FrameReader("reference", f"rtmp://127.0.0.1:{RA}/live/show"),
               "nginx-rtmp": FrameReader("nginx-rtmp", urls["nginx-rtmp"]),
               "sluice-b": FrameReader("sluice-b", f"rtmp://127.0.0.1:{RB}/live/show")}
    for r in readers.values():
        r.start()
    readers["srt"] = srt
    hls = HLSViewer(f"http://127.0.0.1:{HA}/live/show/source/index.m3u8")
    hls.start()
    watch = ForwardWatch()
    watch.start()
    time.sleep(5)  # readers probe their input first and then print a burst: not measured
    t_start = time.time()
    time.sleep(args.before)

    t_kill = time.time()
    if args.kill == "nginx":
        start_nginx.kill(); start_nginx.wait()
    elif args.kill == "sluice-b":
        b.kill(); b.wait()
    else:
        srt.paused.set()
        srt.proc.kill()
    time.sleep(args.down)
    t_restart = time.time()
    if args.kill == "nginx":
        nginx()
    elif args.kill == "sluice-b":
        sluice("sluice-b", RB, SB, HB, ["--no-transcode"])
    else:
        srt.paused.clear()
    time.sleep(args.after)
    t_end = time.time()
    final = api("GET", "forwards")
    stopping.set()

    print(f"restream: source 640x360 25 fps -> Sluice A -> nginx-rtmp, Sluice B, SRT listener; killed {args.kill} "
          f"at +{t_kill - t_start:.1f} s for {args.down:.0f} s; measured {t_end - t_start:.1f} s")
    w0, w1 = t_kill, t_restart + 5  # the outage and the 5 s after the restart

    def gap_split(arrivals):
        """Largest wall-clock gap between consecutive arrivals: outside and inside [w0, w1] (by the later one)."""
        out, inside = 0.0, 0.0
        for a, b in zip(arrivals, arrivals[1:]):
            if not t_start <= b <= t_end:
                continue
            if w0 <= b <= w1:
                inside = max(inside, b - a)
            else:
                out = max(out, b - a)
        return out * 1000, inside * 1000

    print(f"{'receiver':<11} {'role':<12} {'frames':>6} {'media s':>8} {'wall s':>7} {'max DTS step':>12} "
          f"{'max gap ms, rest of run':>24} {'max gap ms, outage+5 s':>23}")
    rows = {}
    for name, r in readers.items():
        if name == victim:
            for label, lo, hi in (("KILLED", t_start, t_kill), ("restarted", t_restart, t_end)):
                per = [p for p in (stats(x, lo, hi) for x in r.sessions) if p]
                st = max(per, key=lambda p: p["frames"]) if per else None
                if st:
                    print(f"{name:<11} {label:<12} {st['frames']:>6} {st['span']:>8.2f} {st['wall']:>7.2f} {st['maxStepMs']:>9.0f} ms "
                          f"{st['maxGapMs']:>24.0f} {'-':>23}   {'before the kill' if label == 'KILLED' else 'after the restart'}")
            continue
        measured = [x for x in r.sessions if stats(x, t_start, t_end)]
        role = "reference" if name == "reference" else ("unaffected" if len(measured) == 1 else "RECONNECTED")
        st = max((stats(x, t_start, t_end) for x in measured), key=lambda p: p["frames"], default=None)
        if not st:
            print(f"{name:<11} {role:<12} no frames")
            continue
        out, inside = gap_split([a for a, _ in max(measured, key=len)])
        rows[name] = (out, inside)
        print(f"{name:<11} {role:<12} {st['frames']:>6} {st['span']:>8.2f} {st['wall']:>7.2f} {st['maxStepMs']:>9.0f} ms "
              f"{out:>24.0f} {inside:>23.0f}")
    parts = [p for p in hls.parts if t_start <= p[0] <= t_end]
    holes = sum(1 for a, b in zip(parts, parts[1:]) if not (b[1] == a[1] and b[2] == a[2] + 1 or b[1] == a[1] + 1 and b[2] == 0))
    if len(parts) > 1:
        out, inside = gap_split([p[0] for p in parts])
        rows["local HLS"] = (out, inside)
        media = sum(p[3] for p in parts)
        print(f"{'local HLS':<11} {'unaffected':<12} {len(parts):>6} {media:>8.2f} {parts[-1][0] - parts[0][0]:>7.2f} "
              f"{str(holes) + ' holes':>12} {out:>24.0f} {inside:>23.0f}   parts of {max(p[3] for p in parts) * 1000:.0f} ms, "
              f"{hls.errors} HTTP errors")

    # The killed destination: outage seen by its receiver, reconnection seen by the forwarder.
    killed = readers[victim]
    frames = [x for s in killed.sessions for x in s]
    last_before = max((x[0] for x in frames if x[0] <= t_kill + 0.5), default=None)
    first_after = min((x[0] for x in frames if x[0] >= t_restart), default=None)
    live_again = next((t for t, st in watch.samples if t >= t_restart and ids[victim] in st
                       and st[ids[victim]]["state"] == "live" and st[ids[victim]]["connects"] >= 2), None)
    f_killed = by_id(final, victim)
    print(f"killed {args.kill}: forwarder {f_killed['state']}, connects {f_killed['connects']}, errors {f_killed['errors']}, "
          f"last error: {f_killed['lastError']}")
    if live_again:
        print(f"  forwarder live again {live_again - t_restart:.2f} s after the restart "
              f"({f_killed.get('lastReconnectSeconds') or 0:.2f} s after it saw the failure)")
    else:
        print("  forwarder NOT live again within the run")
    if last_before and first_after:
        print(f"  its player: last frame {t_kill - last_before:.2f} s before the kill, first frame {first_after - t_restart:.2f} s "
              f"after the restart (outage {first_after - last_before:.2f} s, of which {args.down:.0f} s down)")
    for name in ids:
        if name != victim:
            f = by_id(final, name)
            print(f"unaffected {name}: forwarder {f['state']}, connects {f['connects']}, errors {f['errors']}, dropped units {f['droppedUnits']}")
    ref_inside = rows.get("reference", (0, 0))[1]
    for name, (out, inside) in rows.items():
        vs_ref = f"; vs the reference during the outage {inside:.0f} / {ref_inside:.0f} ms = {inside / ref_inside:.2f}x" \
            if ref_inside and name not in ("reference", "local HLS") else ""
        print(f"{name}: largest gap during the outage / rest of the run = {inside:.0f} / {out:.0f} ms = {inside / out:.2f}x{vs_ref}")
finally:
    stop_all()
    if os.environ.get("KEEP"):
        print(f"logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
