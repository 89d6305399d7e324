import Foundation

/// A Markov model of the chunk throughput a player measures: the next chunk's rate given the bin of
/// the last one (and, with `history` 2, of the one before). Learnt by counting on traces (see
/// `learn`); `SluiceDP` plans on it.
public struct ChunkThroughputModel: Sendable, Equatable {
    /// Lower edge of bin 1, Mbit/s; bin 0 is everything below it.
    public var firstEdgeMbps: Double
    /// Each bin's upper edge is this times its lower one; the last bin is open.
    public var ratio: Double
    public var bins: Int
    /// Samples before the current one that the state includes (1 or 2).
    public var history: Int
    /// Instead of the bin before the last: classes of the mean |ln change| of the last `volatilityWindow`
    /// rate changes, split at these edges (empty: not used). A plan keeps its start's class.
    public var volatilityEdges: [Double] = []
    public var volatilityWindow = 4
    /// `counts[state * bins + next]`, state = bin(last) + bins × bin(before last) when history is 2.
    public var counts: [Double]
    /// Per bin: the sum of 1 / rate (s per Mbit) and the number of samples, for its mean transfer time.
    public var inverseSums: [Double]
    public var inverseCounts: [Double]

    public init(firstEdgeMbps: Double = 0.1, ratio: Double = 1.25, bins: Int = 23, history: Int = 1,
                volatilityEdges: [Double] = [], volatilityWindow: Int = 4) {
        self.firstEdgeMbps = firstEdgeMbps
        self.ratio = ratio
        self.bins = max(2, bins)
        self.history = min(max(history, 1), 2)
        self.volatilityEdges = self.history == 2 ? [] : volatilityEdges
        self.volatilityWindow = max(1, volatilityWindow)
        counts = []
        inverseSums = [Double](repeating: 0, count: self.bins)
        inverseCounts = [Double](repeating: 0, count: self.bins)
        counts = [Double](repeating: 0, count: states * self.bins)
    }

    public var states: Int { history == 2 ? bins * bins : bins * (volatilityEdges.count + 1) }

    /// The state's part that a plan keeps (volatility class) or shifts (the bin before).
    public func nextState(_ s: Int, next n: Int) -> Int {
        history == 2 ? n + bins * (s % bins) : n + bins * (s / bins)
    }

    public func bin(_ mbps: Double) -> Int {
        guard mbps.isFinite, mbps >= firstEdgeMbps else { return 0 }
        return min(bins - 1, 1 + Int(log(mbps / firstEdgeMbps) / log(ratio)))
    }

    /// The state after `samples` (Mbit/s, oldest first); nil before the first.
    public func state(_ samples: [Double]) -> Int? {
        guard let last = samples.last else { return nil }
        let b = bin(last)
        if !volatilityEdges.isEmpty {
            var total = 0.0
            var n = 0
            var j = samples.count - 1
            while j >= 1 && n < volatilityWindow {
                total += abs(log(max(samples[j], 1e-3) / max(samples[j - 1], 1e-3)))
                n += 1
                j -= 1
            }
            let v = n > 0 ? total / Double(n) : 0
            return b + bins * volatilityEdges.filter { v >= $0 }.count
        }
        guard history == 2 else { return b }
        let before = samples.count >= 2 ? bin(samples[samples.count - 2]) : b
        return b + bins * before
    }

    /// Counts one sequence of measured rates (Mbit/s, oldest first).
    public mutating func add(_ samples: [Double]) {
        for x in samples where x > 0 && x.isFinite {
            inverseSums[bin(x)] += 1 / x
            inverseCounts[bin(x)] += 1
        }
        guard samples.count >= 2 else { return }
        for j in 1..<samples.count {
            guard let s = state(Array(samples[..<j])) else { continue }
            counts[s * bins + bin(samples[j])] += 1
        }
    }

    /// Mean seconds per Mbit of a bin (its geometric centre when it never occurred).
    public var secondsPerMbit: [Double] {
        (0..<bins).map { b in
            if inverseCounts[b] > 0 { return inverseSums[b] / inverseCounts[b] }
            let low = b == 0 ? firstEdgeMbps / ratio : firstEdgeMbps * pow(ratio, Double(b - 1))
            return 1 / (low * sqrt(ratio))
        }
    }

    /// Transition probabilities `p[state * bins + next]`: each row's counts plus `prior` samples of
    /// the pooled distribution of bin changes (so a rare state borrows the common shape of a move).
    public func probabilities(prior: Double) -> [Double] {
        var moves = [Double](repeating: 0, count: 2 * bins - 1)
        for s in 0..<states {
            for n in 0..<bins { moves[n - s % bins + bins - 1] += counts[s * bins + n] }
        }
        var p = [Double](repeating: 0, count: states * bins)
        for s in 0..<states {
            var shape = [Double](repeating: 0, count: bins)
            for n in 0..<bins { shape[n] = moves[n - s % bins + bins - 1] }
            let shapeTotal = shape.reduce(0, +)
            var row = [Double](repeating: 0, count: bins)
            for n in 0..<bins {
                row[n] = counts[s * bins + n] + (shapeTotal > 0 ? prior * shape[n] / shapeTotal : prior / Double(bins))
            }
            let total = row.reduce(0, +)
            for n in 0..<bins { p[s * bins + n] = total > 0 ? row[n] / total : 1 / Double(bins) }
        }
        return p
    }
}
