import NIOCore

/// A published part. `id` counts parts of the rendition across segments, so the preload hint
/// can name the next part before anyone knows whether it starts a new segment.
public struct Part: Sendable {
    public var id: Int
    public var msn: Int
    public var index: Int
    public var duration: Double
    public var independent: Bool
    public var data: ByteBuffer
    /// Presented start of the part, seconds on the stream's timeline.
    public var start: Double = 0
    /// Timed events whose emsg this part carries (EXT-X-DATERANGE in the playlist).
    public var events: [TimedEvent] = []
}
