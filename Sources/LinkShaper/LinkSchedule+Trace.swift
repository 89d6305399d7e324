import Foundation

extension LinkSchedule {
    /// A schedule from a trace file's text, in any of the formats of ../shared/data:
    /// - Mahimahi (`*.up`, `*.down`): one integer millisecond per line, a delivery opportunity
    ///   for one 1500-byte packet (repeated timestamps are several packets);
    /// - `time_s Mbps` lines (tab or space separated): a step schedule, each rate held until the
    ///   next line's time, the last one for the previous interval;
    /// - JSON with `steps_kbps_seconds`: `[[kbps, seconds], ...]` (the RFC 8867 profile).
    /// Comment lines (`#`) and blank lines are skipped. Throws a `TraceError` that names the line.
    public static func parse(trace text: String) throws -> LinkSchedule {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw TraceError("the trace is empty") }
        if trimmed.hasPrefix("{") { return try parseJSON(trimmed) }

        var lines: [(number: Int, fields: [Substring])] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," })
            if !fields.isEmpty { lines.append((index + 1, fields)) }
        }
        guard let first = lines.first else { throw TraceError("the trace has no samples") }
        if first.fields.count == 1 { return try parseMahimahi(lines) }
        return try parseTimeRate(lines)
    }

    private static func parseMahimahi(_ lines: [(number: Int, fields: [Substring])]) throws -> LinkSchedule {
        var ms: [Int] = []
        ms.reserveCapacity(lines.count)
        for line in lines {
            guard line.fields.count == 1, let value = Int(line.fields[0]), value >= 0, value <= 1_000_000_000 else {
                throw TraceError("line \(line.number): expected one millisecond timestamp (Mahimahi format), got \"\(line.fields.joined(separator: " "))\"")
            }
            if let last = ms.last, value < last {
                throw TraceError("line \(line.number): timestamp \(value) ms goes back in time (previous \(last) ms)")
            }
            ms.append(value)
        }
        guard let schedule = opportunities(ms: ms) else {
            throw TraceError("a Mahimahi trace needs a last timestamp above 0 ms")
        }
        return schedule
    }

    private static func parseTimeRate(_ lines: [(number: Int, fields: [Substring])]) throws -> LinkSchedule {
        var samples: [(t: Double, mbps: Double)] = []
        for line in lines {
            guard line.fields.count == 2, let t = Double(line.fields[0]), let mbps = Double(line.fields[1]),
                  t.isFinite, mbps.isFinite, t >= 0, mbps >= 0, mbps <= 100_000 else {
                throw TraceError("line \(line.number): expected \"time_s Mbps\" with non-negative numbers, got \"\(line.fields.joined(separator: " "))\"")
            }
            if let last = samples.last, t <= last.t {
                throw TraceError("line \(line.number): time \(t) s does not advance (previous \(last.t) s)")
            }
            samples.append((t, mbps))
        }
        var steps: [(bitsPerSecond: Double, seconds: Double)] = []
        for (index, sample) in samples.enumerated() {
            let seconds: Double
            if index + 1 < samples.count {
                seconds = samples[index + 1].t - sample.t
            } else {
                // The last rate lasts as long as the interval before it (one second if alone).
                seconds = index > 0 ? sample.t - samples[index - 1].t : 1
            }
            steps.append((sample.mbps * 1_000_000, seconds))
        }
        guard let schedule = Self.steps(steps) else { throw TraceError("the trace carries no capacity (every rate is 0)") }
        return schedule
    }

    private static func number(_ value: Any) -> Double? {
        if let d = value as? Double { return d }
        if let i = value as? Int { return Double(i) }
        return (value as? NSNumber)?.doubleValue
    }

    private static func parseJSON(_ text: String) throws -> LinkSchedule {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw TraceError("not valid JSON")
        }
        guard let dict = object as? [String: Any], let raw = dict["steps_kbps_seconds"] as? [Any] else {
            throw TraceError("a JSON profile needs \"steps_kbps_seconds\": [[kbps, seconds], ...]")
        }
        var steps: [(bitsPerSecond: Double, seconds: Double)] = []
        for (index, item) in raw.enumerated() {
            guard let pair = item as? [Any], pair.count == 2,
                  let kbps = number(pair[0]), let seconds = number(pair[1]),
                  kbps.isFinite, seconds.isFinite, kbps >= 0, kbps <= 100_000_000, seconds > 0, seconds <= 1e7 else {
                throw TraceError("steps_kbps_seconds[\(index)]: expected [kbps ≥ 0, seconds > 0]")
            }
            steps.append((kbps * 1000, seconds))
        }
        guard let schedule = Self.steps(steps) else { throw TraceError("the profile carries no capacity") }
        return schedule
    }
}
