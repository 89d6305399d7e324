import NIOCore

/// Where a clip is cut from: an HLS rendition of fMP4 segments, each with its init segment,
/// duration and (ideally) program date-time. Three kinds: the live stream's segments in memory
/// (`LiveClipSource`), a recording on disk and any HLS URL (`PlaylistClipSource`).
/// Blocking allowed: a source is used on a cutting thread. Failures are `ClipError`s.
public protocol ClipSource {
    /// The complete segments the source holds, oldest first.
    func listing() throws -> ClipListing
    /// The bytes of a segment's or init segment's `uri` as the listing names it.
    func bytes(_ uri: String) throws -> ByteBuffer
}

public struct ClipListing: Sendable, Equatable {
    public var segments: [ClipSegment]
    /// Wall clock (µs) of program time 0; nil: the first segment's start.
    public var origin: Int64?
    /// The rendition the segments belong to (for the answer).
    public var rendition: String

    public init(segments: [ClipSegment], origin: Int64? = nil, rendition: String) {
        self.segments = segments
        self.origin = origin
        self.rendition = rendition
    }
}

public struct ClipSegment: Sendable, Equatable {
    public var uri: String
    /// EXT-X-MAP in force; nil: the segment carries its own moov (not cuttable here).
    public var initURI: String?
    /// EXT-X-PROGRAM-DATE-TIME in µs; nil: implied by the previous segment's.
    public var programDateTime: Int64?
    public var duration: Double
    public var discontinuity: Bool

    public init(uri: String, initURI: String?, programDateTime: Int64?, duration: Double, discontinuity: Bool = false) {
        self.uri = uri
        self.initURI = initURI
        self.programDateTime = programDateTime
        self.duration = duration
        self.discontinuity = discontinuity
    }
}
