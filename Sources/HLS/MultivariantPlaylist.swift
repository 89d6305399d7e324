/// Renders the multivariant playlist: one EXT-X-STREAM-INF per rendition (audio-only
/// renditions are audio-only variants), rates as measured.
public enum MultivariantPlaylist {
    /// `startBandwidth`: see `HLSConfiguration.startBandwidth` (the variant players start with).
    public static func render(_ renditions: [RenditionInfo], startBandwidth: Int? = nil) -> String {
        var out = "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        for r in startFirst(renditions, budget: startBandwidth) {
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

    /// The renditions with the start variant moved to the front, the rest in their order.
    static func startFirst(_ renditions: [RenditionInfo], budget: Int?) -> [RenditionInfo] {
        guard let budget, renditions.count > 1 else { return renditions }
        let video = renditions.indices.filter { renditions[$0].tracks.contains { $0.kind == .video } }
        guard !video.isEmpty else { return renditions }
        let fits = video.filter { renditions[$0].averageBandwidth <= budget }
        let start = fits.max { renditions[$0].averageBandwidth < renditions[$1].averageBandwidth }
            ?? video.min { renditions[$0].averageBandwidth < renditions[$1].averageBandwidth }!
        var ordered = renditions
        ordered.insert(ordered.remove(at: start), at: 0)
        return ordered
    }
}
