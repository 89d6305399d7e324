import NIOCore

/// A media segment: the concatenation of its parts (the samples of a segment are exactly
/// those of its parts).
public struct Segment: Sendable {
    public var msn: Int
    public var parts: [Part] = []
    public var complete = false
    /// EXT-X-DISCONTINUITY before this segment.
    public var discontinuity: Bool
    /// Ingest wall clock (µs) of the first sample: EXT-X-PROGRAM-DATE-TIME.
    public var programDateTime: Int64
    /// Which init segment (EXT-X-MAP) this segment needs.
    public var initID: Int
    public var videoSamples = 0
    /// The same samples as one MPEG-TS segment (legacy output), once the segment is complete.
    public var legacy: ByteBuffer?

    public var duration: Double { parts.reduce(0) { $0 + $1.duration } }
    public var byteCount: Int { parts.reduce(0) { $0 + $1.data.readableBytes } }

    /// The whole segment as one buffer.
    public var data: ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(byteCount)
        for p in parts { out.writeImmutableBuffer(p.data) }
        return out
    }
}
