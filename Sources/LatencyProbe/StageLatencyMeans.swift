import Foundation

/// Mean server-side stage latencies read from two scrapes of `sluice serve`'s `/metrics`
/// (`sluice_stage_latency_seconds`, ingest → decoded / encoded / published): the difference of
/// `_sum` over the difference of `_count`, so a benchmark sees only the minutes it measured.
/// Means, not percentiles: the histogram's buckets (…, 100, 200, 500 ms) are too coarse to
/// split a second between stages, and a sum is exact.
public struct StageLatencyMeans: Sendable {
    /// (sum in seconds, count) per stage name.
    public var totals: [String: (sum: Double, count: Double)]

    /// Reads the `_sum` and `_count` series of `path`/`rendition` from Prometheus text.
    public init(metrics text: String, path: String, rendition: String) {
        var totals: [String: (sum: Double, count: Double)] = [:]
        let metric = "sluice_stage_latency_seconds"
        for line in text.split(separator: "\n") where line.hasPrefix(metric) {
            let isSum = line.hasPrefix(metric + "_sum{"), isCount = line.hasPrefix(metric + "_count{")
            guard isSum || isCount,
                  let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}"), open < close,
                  let value = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)),
                  value.isFinite else { continue }
            let labels = Self.labels(line[line.index(after: open)..<close])
            guard labels["path"] == path, labels["rendition"] == rendition, let stage = labels["stage"] else { continue }
            var t = totals[stage] ?? (0, 0)
            if isSum { t.sum = value } else { t.count = value }
            totals[stage] = t
        }
        self.totals = totals
    }

    public init(totals: [String: (sum: Double, count: Double)]) {
        self.totals = totals
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
