/// A link's capacity over time as a cumulative service curve: `cumulativeBits(at:)` is how many
/// bits the link could have carried from time 0 to `t` (seconds). A FIFO queue in front of it
/// is then exact: a packet leaves when the curve has covered it and everything ahead of it.
/// Traces loop at their end, as Mahimahi's `mm-link` does.
public struct LinkSchedule: Sendable, Equatable {
    enum Curve: Sendable, Equatable {
        /// No bottleneck: only delay, jitter and loss apply.
        case unlimited
        /// Piecewise-constant rates; `starts[i]` (seconds into the period) begins `bitsPerSecond[i]`,
        /// `prefixBits[i]` is the capacity before `starts[i]`.
        case steps(starts: [Double], bitsPerSecond: [Double], prefixBits: [Double], period: Double)
        /// Mahimahi delivery opportunities: sorted millisecond timestamps, each worth one
        /// `bytesPerOpportunity` packet; the trace repeats every `periodMs`.
        case opportunities(ms: [Int], periodMs: Int, bytesPerOpportunity: Int)
    }

    let curve: Curve

    public static let unlimited = LinkSchedule(curve: .unlimited)

    /// A constant rate in bit/s (> 0).
    public static func constant(bitsPerSecond: Double) -> LinkSchedule {
        LinkSchedule(curve: .steps(starts: [0], bitsPerSecond: [bitsPerSecond], prefixBits: [0], period: 1))
    }

    /// Steps of (bit/s, seconds), in order, looped. Nil if any value is negative or not finite,
    /// a duration is zero, or the schedule carries no bits at all.
    public static func steps(_ steps: [(bitsPerSecond: Double, seconds: Double)]) -> LinkSchedule? {
        guard !steps.isEmpty else { return nil }
        var starts: [Double] = [], rates: [Double] = [], prefix: [Double] = []
        var t = 0.0, bits = 0.0
        for step in steps {
            guard step.bitsPerSecond.isFinite, step.bitsPerSecond >= 0, step.seconds.isFinite, step.seconds > 0 else { return nil }
            starts.append(t); rates.append(step.bitsPerSecond); prefix.append(bits)
            t += step.seconds
            bits += step.bitsPerSecond * step.seconds
        }
        guard bits > 0 else { return nil }
        return LinkSchedule(curve: .steps(starts: starts, bitsPerSecond: rates, prefixBits: prefix, period: t))
    }

    /// Mahimahi delivery opportunities (milliseconds, non-decreasing, last > 0); the period is the
    /// last timestamp, as `mm-link` loops.
    public static func opportunities(ms: [Int], bytesPerOpportunity: Int = 1500) -> LinkSchedule? {
        guard let last = ms.last, last > 0, bytesPerOpportunity > 0, ms.allSatisfy({ $0 >= 0 }),
              zip(ms, ms.dropFirst()).allSatisfy({ $0 <= $1 }) else { return nil }
        return LinkSchedule(curve: .opportunities(ms: ms, periodMs: last, bytesPerOpportunity: bytesPerOpportunity))
    }

    public var isUnlimited: Bool { curve == .unlimited }

    /// How long one loop of the schedule lasts, in seconds (nil when unlimited).
    public var period: Double? {
        switch curve {
        case .unlimited: return nil
        case .steps(_, _, _, let period): return period
        case .opportunities(_, let periodMs, _): return Double(periodMs) / 1000
        }
    }

    /// Bits the link could carry in [0, t]. Infinite when unlimited.
    public func cumulativeBits(at t: Double) -> Double {
        let t = max(0, t)
        switch curve {
        case .unlimited:
            return .infinity
        case let .steps(starts, rates, prefix, period):
            let total = prefix[prefix.count - 1] + rates[rates.count - 1] * (period - starts[starts.count - 1])
            let loops = (t / period).rounded(.down)
            let r = t - loops * period
            let i = Self.lastIndex(in: starts, notAbove: r)
            return loops * total + prefix[i] + rates[i] * (r - starts[i])
        case let .opportunities(ms, periodMs, bytes):
            // Whole milliseconds: an opportunity at 5 ms is usable from t = 0.005 s.
            let tMs = Int((t * 1000 + 1e-9).rounded(.down))
            let loops = tMs / periodMs
            let r = tMs - loops * periodMs
            let count = loops * ms.count + Self.countNotAbove(r, in: ms)
            return Double(count) * Double(bytes * 8)
        }
    }

    /// The earliest time at which `cumulativeBits(at:)` reaches `bits` (0 when bits ≤ 0).
    public func time(whenCumulativeBitsReach bits: Double) -> Double {
        guard bits > 0 else { return 0 }
        switch curve {
        case .unlimited:
            return 0
        case let .steps(starts, rates, prefix, period):
            let total = prefix[prefix.count - 1] + rates[rates.count - 1] * (period - starts[starts.count - 1])
            var loops = (bits / total).rounded(.down)
            var rest = bits - loops * total
            if rest <= 0 {
                // Exactly at a loop boundary: the end of the previous loop, unless trailing steps are idle.
                loops -= 1
                rest = total
            }
            // The first step whose end covers `rest` and that carries bits.
            for i in starts.indices where rates[i] > 0 {
                let end = prefix[i] + rates[i] * ((i + 1 < starts.count ? starts[i + 1] : period) - starts[i])
                if end >= rest {
                    return loops * period + starts[i] + max(0, rest - prefix[i]) / rates[i]
                }
            }
            return (loops + 1) * period
        case let .opportunities(ms, periodMs, bytes):
            let needed = Int((bits / Double(bytes * 8)).rounded(.up))
            let k = (needed - 1) / ms.count
            let i = (needed - 1) % ms.count
            return Double(ms[i] + k * periodMs) / 1000
        }
    }

    /// The capacity around `t` in bit/s: the step's rate, or for opportunities the mean over the
    /// next second. Sizes the drop-tail queue ("`--queue` ms at the current rate").
    public func rate(at t: Double) -> Double {
        switch curve {
        case .unlimited:
            return .infinity
        case let .steps(starts, rates, _, period):
            let r = max(0, t) - (max(0, t) / period).rounded(.down) * period
            return rates[Self.lastIndex(in: starts, notAbove: r)]
        case .opportunities:
            return cumulativeBits(at: t + 1) - cumulativeBits(at: t)
        }
    }

    /// The mean rate over one loop, bit/s.
    public var meanBitsPerSecond: Double {
        guard let period else { return .infinity }
        return cumulativeBits(at: period) / period
    }

    private static func lastIndex(in sorted: [Double], notAbove value: Double) -> Int {
        var lo = 0, hi = sorted.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if sorted[mid] <= value { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    private static func countNotAbove(_ value: Int, in sorted: [Int]) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
