/// How much a WHEP viewer may be resent on NACK: a token bucket of a quarter of what it is sent
/// (at least 64 kbit/s), holding half a second. On a narrowed path the lost packets are many, and
/// resending them all at once would fill the queue that lost them (a NACK storm: Chromium through
/// `sluice shape` at 600 kbit/s was sent 2.6 Mbit/s for seconds); what does not fit is not resent,
/// and the viewer recovers at a keyframe (PLI) instead. Pure, on an injected clock.
struct RetransmissionBudget {
    static let share = 0.25
    static let floorBitsPerSecond = 64_000
    static let window = 0.5

    private var tokens: Double?
    private var last: ContinuousClock.Instant?
    private(set) var refused = 0

    /// Whether a packet of `bytes` may be resent now, given what the viewer is sent (bit/s).
    mutating func allow(bytes: Int, sentBitsPerSecond: Int?, now: ContinuousClock.Instant) -> Bool {
        let rate = Double(max(Self.floorBitsPerSecond, Int(Double(sentBitsPerSecond ?? 0) * Self.share))) / 8
        let cap = rate * Self.window
        let elapsed = last.map { max(0, Double((now - $0) / .milliseconds(1)) / 1000) } ?? Self.window
        let available = min(cap, (tokens ?? 0) + elapsed * rate)
        last = now
        guard Double(bytes) <= available else {
            tokens = available
            refused += 1
            return false
        }
        tokens = available - Double(bytes)
        return true
    }
}
