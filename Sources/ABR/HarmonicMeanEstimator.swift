/// Harmonic mean of the last `window` throughput samples (RB and MPC in the Pensieve papers):
/// one slow download pulls it down more than one fast download pushes it up.
public struct HarmonicMeanEstimator: Sendable, Equatable {
    public let window: Int
    public private(set) var samples: [Double] = []

    public init(window: Int = 5) {
        self.window = max(1, window)
    }

    public mutating func add(_ throughput: Double) {
        guard throughput > 0, throughput.isFinite else { return }
        samples.append(throughput)
        if samples.count > window { samples.removeFirst(samples.count - window) }
    }

    /// 0 before the first sample.
    public var estimate: Double { Self.harmonicMean(samples) }

    public static func harmonicMean(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        var inverse = 0.0
        for v in values { inverse += 1 / v }
        return Double(values.count) / inverse
    }
}
