import HLS
import MediaCore
import NIOCore

/// Synthetic parts for timeline and playlist tests (no muxer).
enum Fixtures {
    static let config = HLSConfiguration(partTarget: 0.25, targetDuration: 2, segmentMinimum: 0.5, playlistWindow: 20)
    static let t0: Int64 = 1_795_000_000_000_000

    /// `segments` segments of `parts` parts of 0.25 s each; the first part of each is independent.
    static func timeline(segments: Int, parts: Int = 4, config: HLSConfiguration = config) -> RenditionTimeline {
        var t = RenditionTimeline(configuration: config)
        t.addInit(ByteBuffer(string: "init"))
        append(&t, segments: segments, parts: parts)
        return t
    }

    static func append(_ t: inout RenditionTimeline, segments: Int, parts: Int = 4) {
        for _ in 0..<segments {
            for p in 0..<parts { t.add(cut(first: p == 0, at: t.nextPartID)) }
        }
    }

    static func cut(first: Bool, at index: Int, duration: Double = 0.25) -> CutPart {
        CutPart(data: ByteBuffer(string: "part\(index)"), duration: duration, independent: first, startsSegment: first,
                wallClock: t0 + Int64(index) * 250_000, videoSamples: 7)
    }

    /// The tags of a playlist as (name, attributes-or-value) in order.
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }

    static func attribute(_ line: String, _ name: String) -> String? {
        guard let r = line.range(of: name + "=") else { return nil }
        var rest = line[r.upperBound...]
        if rest.hasPrefix("\"") {
            rest = rest.dropFirst()
            return String(rest.prefix { $0 != "\"" })
        }
        return String(rest.prefix { $0 != "," })
    }
}
