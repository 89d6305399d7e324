#!/usr/bin/env python3
"""CPU per process and per thread over a window, from /proc (no sysstat needed).

Usage: cpu-account.py [--wait S] [--seconds S] [--match sluice,chromium,python3]
Waits --wait seconds (let a benchmark reach steady state), reads utime+stime of every thread of
the processes whose command line contains one of --match, reads again after --seconds, and
prints % of one core per process (with its role: sluice serve/push/probe, Chromium's
renderer/GPU/utility, ...) and per thread name within it. Threads that ended in the window are
not counted; threads that started in it count from zero.
"""
import argparse, os, sys, time

TICK = os.sysconf("SC_CLK_TCK")


def threads():
    """{(pid, tid): (role, thread name, cpu ticks)} for every thread on the machine."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            out[(int(pid), int(tid))] = (cmd, name, int(fields[11]) + int(fields[12]))
    return out


def role(cmd):
    words = cmd.split()
    if not words:
        return "?"
    exe = os.path.basename(words[0])
    if exe == "sluice" and len(words) > 1:
        return "sluice " + words[1] + (" " + words[2] if words[1] == "bench" and len(words) > 2 else "")
    if "chrom" in exe:
        t = next((w.split("=", 1)[1] for w in words if w.startswith("--type=")), "browser")
        sub = next((w.split("=", 1)[1] for w in words if w.startswith("--utility-sub-type=")), "")
        return f"chromium {t}" + (f" ({sub.split('.')[-1]})" if sub else "")
    if exe.startswith("python"):
        return "python " + os.path.basename(words[1]) if len(words) > 1 else "python"
    return exe


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wait", type=float, default=0)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--match", default="sluice,chrom,python3")
    args = ap.parse_args()
    keys = [m for m in args.match.split(",") if m]
    time.sleep(args.wait)
    a = threads()
    t0 = time.monotonic()
    time.sleep(args.seconds)
    b = threads()
    span = time.monotonic() - t0
    procs, total, everything = {}, 0.0, 0.0
    for key, (cmd, name, ticks) in b.items():
        used = ticks - a[key][2] if key in a else ticks
        pct = 100.0 * used / TICK / span
        everything += pct
        if not any(k in cmd for k in keys):
            continue
        p = procs.setdefault(key[0], {"role": role(cmd), "pct": 0.0, "threads": {}})
        p["pct"] += pct
        # Pool threads share a name: sum them, and count how many.
        n, s = p["threads"].get(name, (0, 0.0))
        p["threads"][name] = (n + 1, s + pct)
        total += pct
    print(f"window {span:.1f} s; % of one core (2 cores = 200 %); matched {total:.1f} %, "
          f"every process on the machine {everything:.1f} %")
    for pid, p in sorted(procs.items(), key=lambda kv: -kv[1]["pct"]):
        if p["pct"] < 0.5:
            continue
        print(f"{p['pct']:6.1f} %  pid {pid}  {p['role']}")
        for name, (n, pct) in sorted(p["threads"].items(), key=lambda kv: -kv[1][1]):
            if pct >= 0.5:
                print(f"          {pct:6.1f} %  {name}" + (f" (×{n})" if n > 1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
