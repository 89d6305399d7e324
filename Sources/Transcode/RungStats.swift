/// Counters and stage timings of one video rung.
public struct RungStats: Sendable, Equatable {
    public var name: String
    public var width = 0
    public var height = 0
    public var bitrate = 0
    /// Frames handed to the rung's queue (after the frame-rate cap).
    public var framesQueued = 0
    /// Frames lost because the rung's queue was full (live overload policy).
    public var framesDropped = 0
    public var framesEncoded = 0
    public var keyframes = 0
    public var bytesOut = 0
    /// CPU seconds spent scaling this rung's pictures (on the decode thread).
    public var scaleSeconds = 0.0
    /// CPU seconds inside the encoder (send + receive) on the rung's thread.
    public var encodeSeconds = 0.0
    /// Most frames ever waiting in the rung's queue: bounded by the queue capacity.
    public var maxQueueDepth = 0

    public init(name: String) {
        self.name = name
    }
}
