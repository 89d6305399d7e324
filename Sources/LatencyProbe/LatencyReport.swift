/// Delays from stamp (capture at the publisher) to arrival at the reader, in milliseconds.
public struct LatencyReport: Sendable, Codable, Equatable {
    public var count: Int
    public var minMs: Double
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var maxMs: Double

    public init?(_ samplesMs: [Double]) {
        guard !samplesMs.isEmpty else { return nil }
        let s = samplesMs.sorted()
        func q(_ p: Double) -> Double { s[min(s.count - 1, Int((p * Double(s.count)).rounded(.down)))] }
        count = s.count
        minMs = s[0]
        p50Ms = q(0.50)
        p90Ms = q(0.90)
        p99Ms = q(0.99)
        maxMs = s[s.count - 1]
    }

    public var text: String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        return "\(count) stamps: min \(f(minMs)) ms, p50 \(f(p50Ms)) ms, p90 \(f(p90Ms)) ms, p99 \(f(p99Ms)) ms, max \(f(maxMs)) ms"
    }
}
