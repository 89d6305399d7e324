import Histogram

/// Delays in microseconds, kept as HdrHistogram counts (3 significant digits): memory grows with
/// the range of values, never with their number, so thousands of viewers over minutes cost the
/// same as one. The one place Sluice's benchmarks and probe compute percentiles.
///
/// Signed: a delay measured between two clocks (a part's PDT end and its arrival) can come out
/// negative when the clocks disagree. Negative values are kept as magnitudes in a second
/// histogram rather than clamped, so percentiles stay honest and `negativeCount` says how many.
public struct LatencyHistogram: Sendable, Equatable {
    private var positive = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    /// Magnitudes of negative values; nil until the first one (most runs have none).
    private var negative: Histogram<UInt64>?
    /// Exact extremes (the buckets round to 3 digits).
    public private(set) var minMicros: Int64 = .max
    public private(set) var maxMicros: Int64 = .min
    public private(set) var count = 0

    public init() {}

    /// Values that were below zero.
    public var negativeCount: Int { negative.map { Int($0.totalCount) } ?? 0 }
    public var isEmpty: Bool { count == 0 }
    /// Bytes of counts held: set by the range of values recorded, not their number.
    public var estimatedFootprintBytes: Int {
        positive.estimatedFootprintInBytes + (negative?.estimatedFootprintInBytes ?? 0)
    }

    public mutating func record(micros: Int64) {
        if micros >= 0 {
            positive.record(UInt64(micros))
        } else {
            if negative == nil { negative = Histogram(numberOfSignificantValueDigits: .three) }
            negative!.record(micros.magnitude)
        }
        count += 1
        minMicros = Swift.min(minMicros, micros)
        maxMicros = Swift.max(maxMicros, micros)
    }

    /// Rounded to the nearest microsecond.
    public mutating func record(seconds: Double) {
        record(micros: Self.micros(seconds * 1e6))
    }

    public mutating func record(milliseconds: Double) {
        record(micros: Self.micros(milliseconds * 1e3))
    }

    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        positive.add(other.positive)
        if let n = other.negative {
            if negative == nil { negative = Histogram(numberOfSignificantValueDigits: .three) }
            negative!.add(n)
        }
        count += other.count
        minMicros = Swift.min(minMicros, other.minMicros)
        maxMicros = Swift.max(maxMicros, other.maxMicros)
    }

    /// The value at 0-based rank ⌊q·count⌋ of the sorted samples (the convention the sorted
    /// arrays used before: p50 of 1...100 is 51), to 3 significant digits: the upper end of its
    /// bucket, within [min, max]. 0 when empty.
    public func micros(atQuantile q: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = Swift.min(count - 1, Swift.max(0, Int((q * Double(count)).rounded(.down))))
        if rank == 0 { return minMicros } // the extremes are known exactly
        if rank == count - 1 { return maxMicros }
        let below = negativeCount
        let value: Int64
        if rank < below {
            // The rank-th most negative value is the (below-1-rank)-th smallest magnitude.
            let m = Self.magnitude(atRank: below - 1 - rank, in: negative!)
            value = -Int64(negative!.lowestEquivalentForValue(m))
        } else {
            value = Int64(positive.highestEquivalentForValue(Self.magnitude(atRank: rank - below, in: positive)))
        }
        return Swift.min(Swift.max(value, minMicros), maxMicros)
    }

    public func milliseconds(atQuantile q: Double) -> Double {
        Double(micros(atQuantile: q)) / 1000
    }

    public var minMilliseconds: Double { count > 0 ? Double(minMicros) / 1000 : 0 }
    public var maxMilliseconds: Double { count > 0 ? Double(maxMicros) / 1000 : 0 }

    /// A recorded value (any of its bucket) at 0-based `rank` in ascending order.
    private static func magnitude(atRank rank: Int, in h: Histogram<UInt64>) -> UInt64 {
        var seen: UInt64 = 0
        for v in h.recordedValues() {
            seen += v.count
            if seen > UInt64(rank) { return v.value }
        }
        return h.maxRecorded
    }

    private static func micros(_ v: Double) -> Int64 {
        guard v.isFinite else { return v > 0 ? .max / 2 : -(.max / 2) }
        return Int64(Swift.max(Swift.min(v.rounded(), 4e18), -4e18))
    }
}
