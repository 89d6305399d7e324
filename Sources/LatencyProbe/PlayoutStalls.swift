/// Stalls a viewer would see, from stamp-to-arrival delays in arrival order: a virtual player
/// plays every frame at its stamp + a playout delay that starts at the first frame's delay plus
/// a jitter buffer. A frame that arrives after its playout time stalls playback; the player
/// then waits for it and keeps the later playout delay (latency grows, as in a real rebuffer).
public struct PlayoutStalls: Sendable, Codable, Equatable {
    public var count = 0
    public var seconds = 0.0
    /// The playout delay at the end, ms: the first frame's delay + jitter buffer + every stall.
    public var finalDelayMs: Double?
    public let jitterBufferMs: Double

    public init(jitterBufferMs: Double = 500) {
        self.jitterBufferMs = max(0, jitterBufferMs)
    }

    public init(_ delaysMs: [Double], jitterBufferMs: Double = 500) {
        self.init(jitterBufferMs: jitterBufferMs)
        for d in delaysMs { record(delayMs: d) }
    }

    public mutating func record(delayMs: Double) {
        guard delayMs.isFinite else { return }
        guard let playout = finalDelayMs else {
            finalDelayMs = delayMs + jitterBufferMs
            return
        }
        if delayMs > playout {
            count += 1
            seconds += (delayMs - playout) / 1000
            finalDelayMs = delayMs
        }
    }
}
