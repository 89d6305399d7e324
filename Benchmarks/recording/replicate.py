#!/usr/bin/env python3
"""Makes a long recording from a short one, for the seek benchmark, without re-encoding.

  python3 Benchmarks/recording/replicate.py SRC_RECORDING_DIR DST_RECORDING_DIR --hours 2

SRC is a finished recording (`<directory>/<path>/<id>/`, one or more renditions, one init
segment each). Its segments are copied block after block until DST holds --hours of media; in
each copy the fragments' tfdt (baseMediaDecodeTime) is shifted by the block's duration and the
mfhd sequence numbers continue, so the result is one continuous timeline, as a real long
recording would be. Playlists and the multivariant playlist are written in Sluice's layout
(EVENT → VOD + ENDLIST, PROGRAM-DATE-TIME advancing with the media).
"""
import argparse, os, re, shutil, struct, sys


def boxes(data, start, end):
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[i + 8:i + 16])[0]
            header = 16
        if size < header or i + size > end:
            return
        yield kind.decode("latin1"), i, i + header, i + size
        i += size


def timescales(init):
    """track_ID -> timescale from an init segment's moov/trak (tkhd, mdia/mdhd)."""
    out = {}
    for kind, _, body, end in boxes(init, 0, len(init)):
        if kind != "moov":
            continue
        for k2, _, b2, e2 in boxes(init, body, end):
            if k2 != "trak":
                continue
            track, scale = None, None
            for k3, _, b3, e3 in boxes(init, b2, e2):
                if k3 == "tkhd":
                    version = init[b3]
                    track = struct.unpack(">I", init[b3 + (20 if version == 1 else 12):][:4])[0]
                if k3 == "mdia":
                    for k4, _, b4, e4 in boxes(init, b3, e3):
                        if k4 == "mdhd":
                            version = init[b4]
                            scale = struct.unpack(">I", init[b4 + (20 if version == 1 else 12):][:4])[0]
            if track is not None and scale:
                out[track] = scale
    return out


def shift(segment, seconds, scales, sequence):
    """A copy of `segment` with every tfdt moved `seconds` later; mfhd numbered from `sequence`."""
    data = bytearray(segment)
    for kind, _, body, end in boxes(data, 0, len(data)):
        if kind != "moof":
            continue
        for k2, _, b2, e2 in boxes(data, body, end):
            if k2 == "mfhd":
                struct.pack_into(">I", data, b2 + 4, sequence)
                sequence += 1
            if k2 != "traf":
                continue
            track = None
            for k3, _, b3, e3 in boxes(data, b2, e2):
                if k3 == "tfhd":
                    track = struct.unpack(">I", data[b3 + 4:b3 + 8])[0]
                if k3 == "tfdt" and track in scales:
                    delta = round(seconds * scales[track])
                    if data[b3] == 1:
                        struct.pack_into(">Q", data, b3 + 4, struct.unpack(">Q", data[b3 + 4:b3 + 12])[0] + delta)
                    else:
                        struct.pack_into(">I", data, b3 + 4, (struct.unpack(">I", data[b3 + 4:b3 + 8])[0] + delta) & 0xFFFFFFFF)
    return bytes(data), sequence


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--hours", type=float, default=2)
    args = ap.parse_args()
    os.makedirs(args.dst, exist_ok=True)
    renditions = sorted(d for d in os.listdir(args.src) if os.path.isfile(os.path.join(args.src, d, "index.m3u8")))
    for name in renditions:
        src = os.path.join(args.src, name)
        text = open(os.path.join(src, "index.m3u8")).read()
        entries = re.findall(r"#EXTINF:([0-9.]+),\n(seg-\d+\.m4s)", text)
        if "#EXT-X-DISCONTINUITY" in text or not entries:
            sys.exit(f"{src}: needs one continuous run (no discontinuity)")
        block = sum(float(d) for d, _ in entries)
        init = open(os.path.join(src, "init-0.mp4"), "rb").read()
        scales = timescales(init)
        dst = os.path.join(args.dst, name)
        os.makedirs(dst, exist_ok=True)
        shutil.copy(os.path.join(src, "init-0.mp4"), os.path.join(dst, "init-0.mp4"))
        start = re.search(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", text).group(1)
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:%d" % round(max(float(d) for d, _ in entries)),
                 "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-INDEPENDENT-SEGMENTS", '#EXT-X-MAP:URI="init-0.mp4"',
                 "#EXT-X-PROGRAM-DATE-TIME:" + start]
        msn, sequence, copy, total = 0, 1, 0, 0.0
        payloads = [open(os.path.join(src, f), "rb").read() for _, f in entries]
        while total < args.hours * 3600:
            for (d, _), payload in zip(entries, payloads):
                out, sequence = shift(payload, copy * block, scales, sequence)
                with open(os.path.join(dst, f"seg-{msn}.m4s"), "wb") as f:
                    f.write(out)
                lines += [f"#EXTINF:{d},", f"seg-{msn}.m4s"]
                msn += 1
                total += float(d)
            copy += 1
        lines.append("#EXT-X-ENDLIST")
        open(os.path.join(dst, "index.m3u8"), "w").write("\n".join(lines) + "\n")
        print(f"{name}: {msn} segments, {total / 3600:.2f} h, block {block:.3f} s x {copy}")
    shutil.copy(os.path.join(args.src, "index.m3u8"), os.path.join(args.dst, "index.m3u8"))


if __name__ == "__main__":
    main()
