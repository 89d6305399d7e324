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
}
