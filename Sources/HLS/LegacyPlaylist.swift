/// Plain HLS over MPEG-TS for players without fMP4 or LL-HLS: complete segments only, the
/// same sequence numbers, boundaries and program date times as the LL-HLS playlist.
public enum LegacyPlaylist {
    public static func media(_ t: RenditionTimeline) -> String {
        let start = t.playlistStart
        let listed = t.segments[start...].filter { $0.complete && $0.legacy != nil }
        var out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:\(t.configuration.targetDuration)\n"
        out += "#EXT-X-MEDIA-SEQUENCE:\(listed.first?.msn ?? t.nextMSN)\n"
        out += "#EXT-X-DISCONTINUITY-SEQUENCE:\(t.discontinuitySequence(start: start))\n"
        for s in listed {
            if s.discontinuity { out += "#EXT-X-DISCONTINUITY\n" }
            out += "#EXT-X-PROGRAM-DATE-TIME:\(ProgramDateTime.format(micros: s.programDateTime))\n"
            out += "#EXTINF:\(MediaPlaylist.decimal(s.duration, 5)),\nseg\(s.msn).ts\n"
        }
        if t.ended { out += "#EXT-X-ENDLIST\n" }
        return out
    }

    public static func multivariant(_ renditions: [RenditionInfo]) -> String {
        MultivariantPlaylist.render(renditions).replacingOccurrences(of: "/index.m3u8\n", with: "/legacy.m3u8\n")
    }
}
