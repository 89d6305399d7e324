import MediaCore
import NIOCore

/// A segment a rendition has just completed, with what a reader needs to store it on its own
/// (the recorder): its parts' bytes as published (no second mux), its init segment and tracks.
public struct CompletedSegment: Sendable {
    public var rendition: String
    public var segment: Segment
    /// The init segment (EXT-X-MAP) this segment needs.
    public var initData: ByteBuffer
    public var tracks: [TrackInfo]

    public init(rendition: String, segment: Segment, initData: ByteBuffer, tracks: [TrackInfo]) {
        self.rendition = rendition
        self.segment = segment
        self.initData = initData
        self.tracks = tracks
    }
}

/// What a stream's segment observer hears: each completed segment of each rendition, in order
/// per rendition, then `ended` once the stream ended (ENDLIST).
public enum SegmentEvent: Sendable {
    case segment(CompletedSegment)
    case ended
}
