/// Buffer-based BBA as Pensieve's `test/bb.py`: the lowest level below a 5 s reservoir, the highest
/// above reservoir + 10 s cushion, linear (truncated) in between.
public struct BBA: ChunkPolicy, LivePolicy, Sendable {
    public let name = "bba"
    public var reservoirSeconds: Double
    public var cushionSeconds: Double

    public init(reservoirSeconds: Double = 5, cushionSeconds: Double = 10) {
        self.reservoirSeconds = reservoirSeconds
        self.cushionSeconds = cushionSeconds
    }

    public mutating func reset() {}

    public func level(bufferSeconds: Double, levels: Int) -> Int {
        if bufferSeconds < reservoirSeconds { return 0 }
        if bufferSeconds >= reservoirSeconds + cushionSeconds { return levels - 1 }
        return Int(Double(levels - 1) * (bufferSeconds - reservoirSeconds) / cushionSeconds)
    }

    public mutating func next(_ c: ChunkContext) -> Int {
        level(bufferSeconds: c.bufferSeconds, levels: c.bitratesKbps.count)
    }

    /// Live: the same map scaled to the target latency (the buffer a live player can hold).
    public mutating func decide(_ input: LiveInput) -> LiveDecision {
        let scaled = BBA(reservoirSeconds: input.targetLatencySeconds * reservoirSeconds / (reservoirSeconds + cushionSeconds) / 2,
                         cushionSeconds: input.targetLatencySeconds * cushionSeconds / (reservoirSeconds + cushionSeconds) / 2)
        return LiveDecision(level: scaled.level(bufferSeconds: input.bufferSeconds, levels: input.bitratesKbps.count),
                            playbackRate: HlsjsLatencyRate.rate(input))
    }
}
