import NIOCore

/// A live rendition's segments in memory (the playlist window plus the retention), as they
/// were when the source was made: later parts and evictions do not change what it cuts.
public struct LiveClipSource: ClipSource {
    private let timeline: RenditionTimeline
    private let name: String
    private let origin: Int64?

    /// `origin`: wall clock (µs) of program time 0, e.g. when the publisher started.
    public init(rendition: HLSRendition, origin: Int64? = nil) {
        timeline = rendition.timeline
        name = rendition.name
        self.origin = origin
    }

    public func listing() throws -> ClipListing {
        let segments = timeline.segments.filter(\.complete).map { s in
            ClipSegment(uri: "seg-\(s.msn)", initURI: "init-\(s.initID)", programDateTime: s.programDateTime,
                        duration: s.duration, discontinuity: s.discontinuity)
        }
        return ClipListing(segments: segments, origin: origin, rendition: name)
    }

    public func bytes(_ uri: String) throws -> ByteBuffer {
        if uri.hasPrefix("init-"), let id = Int(uri.dropFirst(5)), let data = timeline.inits[id] { return data }
        if uri.hasPrefix("seg-"), let msn = Int(uri.dropFirst(4)), let s = timeline.segment(msn: msn) { return s.data }
        throw ClipError(.notAvailable, "\(uri) left the live window")
    }
}
