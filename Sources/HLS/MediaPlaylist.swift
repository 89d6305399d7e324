/// Renders a rendition's LL-HLS media playlist from its timeline. URIs are relative to the
/// playlist: `init<id>.mp4`, `seg<msn>.m4s`, `part<id>.m4s`.
public enum MediaPlaylist {
    public static func render(_ t: RenditionTimeline, skip: Bool = false, reports: [RenditionReport] = []) -> String {
        let c = t.configuration
        let start = t.playlistStart
        let listed = t.segments[start...]
        var out = "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:\(c.targetDuration)\n"
        out += "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=\(decimal(c.skipUntil, 1)),"
            + "PART-HOLD-BACK=\(decimal(c.partHoldBack, 3)),HOLD-BACK=\(decimal(c.holdBack, 1))\n"
        out += "#EXT-X-PART-INF:PART-TARGET=\(decimal(c.partTarget, 3))\n"
        out += "#EXT-X-MEDIA-SEQUENCE:\(listed.first?.msn ?? t.nextMSN)\n"
        out += "#EXT-X-DISCONTINUITY-SEQUENCE:\(t.discontinuitySequence(start: start))\n"

        // Seconds from each listed segment's end to the playlist's end.
        var after = [Double](repeating: 0, count: listed.count)
        var acc = 0.0
        for (k, s) in listed.enumerated().reversed() {
            after[k] = acc
            acc += s.duration
        }
        var skipped = 0
        if skip && !t.ended {
            while skipped < listed.count && listed[start + skipped].complete && after[skipped] >= c.skipUntil { skipped += 1 }
            if skipped > 0 { out += "#EXT-X-SKIP:SKIPPED-SEGMENTS=\(skipped)\n" }
        }
        var mapID: Int? = nil
        for (k, s) in listed.enumerated() where k >= skipped {
            if s.discontinuity { out += "#EXT-X-DISCONTINUITY\n" }
            if mapID != s.initID {
                out += "#EXT-X-MAP:URI=\"init\(s.initID).mp4\"\n"
                mapID = s.initID
            }
            out += "#EXT-X-PROGRAM-DATE-TIME:\(ProgramDateTime.format(micros: s.programDateTime))\n"
            // Only once the segment is complete: hls.js 1.6.15 stopped loading parts at the event
            // when the range was anchored in the segment still being written (the emsg in the
            // part is the frame-accurate path; the tag follows within a segment).
            if s.complete { for p in s.parts { for e in p.events { out += dateRange(e, segment: s) } } }
            if !s.complete || after[k] < c.partListing {
                for p in s.parts {
                    out += "#EXT-X-PART:DURATION=\(decimal(p.duration, 5)),URI=\"part\(p.id).m4s\""
                    out += p.independent ? ",INDEPENDENT=YES\n" : "\n"
                }
            }
            if s.complete {
                out += "#EXTINF:\(decimal(s.duration, 5)),\nseg\(s.msn).m4s\n"
            }
        }
        if t.ended {
            out += "#EXT-X-ENDLIST\n"
        } else {
            out += "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part\(t.nextPartID).m4s\"\n"
            for r in reports {
                out += "#EXT-X-RENDITION-REPORT:URI=\"\(r.uri)\",LAST-MSN=\(r.lastMSN),LAST-PART=\(r.lastPart)\n"
            }
        }
        return out
    }

    /// EXT-X-DATERANGE of an event carried in `segment`. START-DATE is the segment's
    /// PROGRAM-DATE-TIME (as written, to the millisecond) plus the event's offset into it, so a
    /// player that maps dates through this playlist lands on the event's frame; the payload is
    /// hex (a quoted string cannot hold JSON's quotes).
    public static func dateRange(_ e: TimedEvent, segment s: Segment) -> String {
        let anchor = s.programDateTime / 1000
        let start = s.parts.first?.start ?? e.pts
        let millis = anchor + Int64(((e.pts - start) * 1000).rounded())
        var hex = "0x"
        hex.reserveCapacity(2 + 2 * e.payload.utf8.count)
        let digits = Array("0123456789ABCDEF".utf8)
        for b in e.payload.utf8 { hex.unicodeScalars.append(Unicode.Scalar(digits[Int(b >> 4)])); hex.unicodeScalars.append(Unicode.Scalar(digits[Int(b & 15)])) }
        return "#EXT-X-DATERANGE:ID=\"\(e.id)\",CLASS=\"\(TimedEvent.dateRangeClass)\","
            + "START-DATE=\"\(ProgramDateTime.format(micros: millis * 1000))\",X-TYPE=\"\(e.type)\",X-PAYLOAD=\(hex)\n"
    }

    /// Fixed-point decimal with `digits` fraction digits (no Foundation formatting per line).
    static func decimal(_ value: Double, _ digits: Int) -> String {
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded())
        let frac = String(scaled % scale)
        return "\(scaled / scale).\(String(repeating: "0", count: digits - frac.count))\(frac)"
    }
}
