import Foundation

/// Mean server-side stage latencies read from two scrapes of `sluice serve`'s `/metrics`
/// (`sluice_stage_latency_seconds`, ingest → decoded / encoded / published): the difference of
/// `_sum` over the difference of `_count`, so a benchmark sees only the minutes it measured.
/// Means are exact (a sum); percentiles come from the histogram's buckets, interpolated inside
/// the bucket they fall in, so they are as fine as the buckets (10–50 ms steps up to 1 s).
public struct StageLatencyMeans: Sendable {
    /// (sum in seconds, count) per stage name.
    public var totals: [String: (sum: Double, count: Double)]
    /// Cumulative bucket counts per stage: upper bound (seconds, +Inf included) → count.
    public var buckets: [String: [Double: Double]] = [:]

    /// Reads the `_sum` and `_count` series of `path`/`rendition` from Prometheus text.
    public init(metrics text: String, path: String, rendition: String) {
        var totals: [String: (sum: Double, count: Double)] = [:]
        var buckets: [String: [Double: Double]] = [:]
        let metric = "sluice_stage_latency_seconds"
        for line in text.split(separator: "\n") where line.hasPrefix(metric) {
            let isSum = line.hasPrefix(metric + "_sum{"), isCount = line.hasPrefix(metric + "_count{")
            let isBucket = line.hasPrefix(metric + "_bucket{")
            guard isSum || isCount || isBucket,
                  let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}"), open < close,
                  let value = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)),
                  value.isFinite else { continue }
            let labels = Self.labels(line[line.index(after: open)..<close])
            guard labels["path"] == path, labels["rendition"] == rendition, let stage = labels["stage"] else { continue }
            if isBucket {
                // Double("+Inf") is infinity: the last bucket holds every observation.
                if let le = labels["le"].flatMap(Double.init), !le.isNaN { buckets[stage, default: [:]][le] = value }
                continue
            }
            var t = totals[stage] ?? (0, 0)
            if isSum { t.sum = value } else { t.count = value }
            totals[stage] = t
        }
        self.totals = totals
        self.buckets = buckets
    }

    public init(totals: [String: (sum: Double, count: Double)], buckets: [String: [Double: Double]] = [:]) {
        self.totals = totals
        self.buckets = buckets
    }

    /// The `q` quantile (0–1) in ms per stage over what `later` counted beyond `self`, from the
    /// bucket counts: linear inside the bucket it falls in (from 0 for the first); a quantile in
    /// the +Inf bucket is reported as the largest finite bound.
    public func quantileMs(_ q: Double, until later: StageLatencyMeans) -> [String: Double] {
        var out: [String: Double] = [:]
        for (stage, after) in later.buckets {
            let before = buckets[stage] ?? [:]
            let bounds = after.keys.sorted()
            let counts = bounds.map { max(0, after[$0]! - (before[$0] ?? 0)) }
            guard let total = counts.last, total > 0 else { continue }
            let rank = q * total
            guard let i = counts.firstIndex(where: { $0 >= rank }) else { continue }
            let upper = bounds[i], lower = i > 0 ? bounds[i - 1] : 0
            let below = i > 0 ? counts[i - 1] : 0
            if upper.isInfinite {
                out[stage] = lower * 1000
                continue
            }
            let inBucket = counts[i] - below
            let fraction = inBucket > 0 ? (rank - below) / inBucket : 1
            out[stage] = (lower + (upper - lower) * fraction) * 1000
        }
        return out
    }

    /// Mean milliseconds per stage over what `later` counted beyond `self`.
    public func meansMs(until later: StageLatencyMeans) -> [String: Double] {
        var out: [String: Double] = [:]
        for (stage, b) in later.totals {
            let a = totals[stage] ?? (0, 0)
            let n = b.count - a.count
            if n > 0 { out[stage] = (b.sum - a.sum) / n * 1000 }
        }
        return out
    }

    /// `a="x",b="y"` → [a: x, b: y] (label values here never contain quotes or commas).
    static func labels(_ s: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in s.split(separator: ",") {
            guard let eq = pair.firstIndex(of: "=") else { continue }
            let key = pair[..<eq].trimmingCharacters(in: .whitespaces)
            out[key] = pair[pair.index(after: eq)...].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        }
        return out
    }
}
