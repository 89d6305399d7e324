/// Rate-based: the highest level whose bitrate is at most the harmonic mean of the last 5 chunk
/// throughputs (bytes over request-to-last-byte time, as Pensieve measures them).
public struct RateBased: ChunkPolicy, LivePolicy, Sendable {
    public let name = "rb"
    private var harmonic = HarmonicMeanEstimator(window: 5)

    public init() {}

    public mutating func reset() { harmonic = HarmonicMeanEstimator(window: 5) }

    static func highest(below kbps: Double, _ bitrates: [Double]) -> Int {
        var best = 0
        for (i, b) in bitrates.enumerated() where b <= kbps { best = i }
        return best
    }

    public mutating func next(_ c: ChunkContext) -> Int {
        harmonic.add(c.lastThroughputMbps * 1000)
        return Self.highest(below: harmonic.estimate, c.bitratesKbps)
    }

    public mutating func decide(_ input: LiveInput) -> LiveDecision {
        let recent = input.samples.suffix(5).map(PartThroughput.requestKbps)
        let level = Self.highest(below: HarmonicMeanEstimator.harmonicMean(Array(recent)), input.bitratesKbps)
        return LiveDecision(level: level, playbackRate: HlsjsLatencyRate.rate(input))
    }
}
