/// Delays from stamp (capture at the publisher) to arrival at the reader, in milliseconds.
public struct LatencyReport: Sendable, Codable, Equatable {
    public var count: Int
    public var minMs: Double
    public var p50Ms: Double
    public var p90Ms: Double
    public var p95Ms: Double
    public var p99Ms: Double
    public var maxMs: Double
    /// Stalls of a virtual player fed the samples in arrival order (`PlayoutStalls`); nil
    /// when built from a histogram, which has no order.
    public var stalls: PlayoutStalls?

    /// `samplesMs` in arrival order.
    public init?(_ samplesMs: [Double]) {
        var h = LatencyHistogram()
        for s in samplesMs { h.record(milliseconds: s) }
        self.init(h)
        stalls = PlayoutStalls(samplesMs)
    }

    /// Percentiles to 3 significant digits; count, min and max exact (to the microsecond).
    public init?(_ histogram: LatencyHistogram) {
        guard !histogram.isEmpty else { return nil }
        count = histogram.count
        minMs = histogram.minMilliseconds
        p50Ms = histogram.milliseconds(atQuantile: 0.50)
        p90Ms = histogram.milliseconds(atQuantile: 0.90)
        p95Ms = histogram.milliseconds(atQuantile: 0.95)
        p99Ms = histogram.milliseconds(atQuantile: 0.99)
        maxMs = histogram.maxMilliseconds
    }

    public var text: String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        let stallText = stalls.map { String(format: "; %d stalls, %.1f s (%.0f ms jitter buffer)", $0.count, $0.seconds, $0.jitterBufferMs) } ?? ""
        return "\(count) stamps: min \(f(minMs)) ms, p50 \(f(p50Ms)) ms, p90 \(f(p90Ms)) ms, p95 \(f(p95Ms)) ms, p99 \(f(p99Ms)) ms, max \(f(maxMs)) ms" + stallText
    }
}
