import FFmpegBridge

/// A decoded (or generated) picture for the encoder thread: pts in µs, and the wall clock its
/// latency stamp will carry.
public struct RawPicture: Sendable {
    public var frame: Frame
    public var pts: Int64
    public var stampMicros: Int64
}
