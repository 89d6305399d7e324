/// Renders the multivariant playlist: one EXT-X-STREAM-INF per rendition (audio-only
/// renditions are audio-only variants), rates as measured.
public enum MultivariantPlaylist {
    public static func render(_ renditions: [RenditionInfo]) -> String {
        var out = "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        for r in renditions {
            var attrs = ["BANDWIDTH=\(max(r.peakBandwidth, 1))", "AVERAGE-BANDWIDTH=\(max(r.averageBandwidth, 1))"]
            let codecs = r.tracks.compactMap { CodecString.of($0) }
            if !codecs.isEmpty { attrs.append("CODECS=\"\(codecs.joined(separator: ","))\"") }
            if let video = r.tracks.first(where: { $0.kind == .video }), video.width > 0, video.height > 0 {
                attrs.append("RESOLUTION=\(video.width)x\(video.height)")
            }
            if let rate = r.frameRate { attrs.append("FRAME-RATE=\(MediaPlaylist.decimal(rate, 3))") }
            attrs.append("NAME=\"\(r.name)\"")
            out += "#EXT-X-STREAM-INF:\(attrs.joined(separator: ","))\n\(r.name)/index.m3u8\n"
        }
        return out
    }
}
