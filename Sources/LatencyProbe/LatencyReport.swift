/// Delays from stamp (capture at the publisher) to arrival at the reader, in milliseconds.
public struct LatencyReport: Sendable, Codable, Equatable {
    public var count: Int
    public var minMs: Double
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var maxMs: Double

    public init?(_ samplesMs: [Double]) {
        var h = LatencyHistogram()
        for s in samplesMs { h.record(milliseconds: s) }
        self.init(h)
    }

    /// Percentiles to 3 significant digits; count, min and max exact (to the microsecond).
    public init?(_ histogram: LatencyHistogram) {
        guard !histogram.isEmpty else { return nil }
        count = histogram.count
        minMs = histogram.minMilliseconds
        p50Ms = histogram.milliseconds(atQuantile: 0.50)
        p90Ms = histogram.milliseconds(atQuantile: 0.90)
        p99Ms = histogram.milliseconds(atQuantile: 0.99)
        maxMs = histogram.maxMilliseconds
    }

    public var text: String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        return "\(count) stamps: min \(f(minMs)) ms, p50 \(f(p50Ms)) ms, p90 \(f(p90Ms)) ms, p99 \(f(p99Ms)) ms, max \(f(maxMs)) ms"
    }
}
