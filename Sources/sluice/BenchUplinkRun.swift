import BitrateControl
import Foundation
import Synchronization

final class OutputBuffer: Sendable {
    private let text = Mutex("")
    func append(_ s: String) { text.withLock { $0 += s } }
    var value: String { text.withLock { $0 } }
}

/// A child `sluice` process whose standard output is collected (the bench reads what it prints).
final class SluiceChild: Sendable {
    private let process: Process
    private let out = OutputBuffer()

    init(_ binary: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        process = p
        pipe.fileHandleForReading.readabilityHandler = { [out] h in
            let d = h.availableData
            if !d.isEmpty { out.append(String(decoding: d, as: UTF8.self)) }
        }
        try p.run()
    }

    var output: String { out.value }
    var isRunning: Bool { process.isRunning }
    var status: Int32 { process.terminationStatus }

    /// Polls `find` on the output until it returns a value or `seconds` pass.
    func waitFor<T>(_ seconds: Double, _ find: (String) -> T?) -> T? {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let v = find(output) { return v }
            if !process.isRunning { return find(output) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    func waitExit(_ seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.1) }
        return !process.isRunning
    }

    func stop() {
        guard process.isRunning else { return }
        process.interrupt()  // SIGINT: shape and push finish their stats files
        if !waitExit(5) { process.terminate() }
        _ = waitExit(2)
    }
}

/// The measured uplink run: a Sluice server, `sluice shape` on the push path with the schedule,
/// `sluice push --adaptive` per policy and `sluice probe` reading LL-HLS on the far side.
struct UplinkRun {
    var binary: String
    var schedule: CapacitySchedule
    var schedulePath: String
    var srt: Bool
    var minKbps: Int
    var maxKbps: Int
    var startKbps: Int
    var delayMs: Double
    var queueMs: Double
    var size: String
    var workDir: String
    /// `sluice shape --burst-loss` on the push path (seed 7), if any.
    var burstLoss: String? = nil
    var log: (String) -> Void

    struct Measured {
        var result: SimulationResult
        var g2gP90Ms: Double?
        var g2gP95Ms: Double?
        var g2gP99Ms: Double?
        /// Stalls of the probe's virtual player (`PlayoutStalls`, 500 ms jitter buffer).
        var stalls: Int?
        var stallSeconds: Double?
        var droppedFrames: Int?
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), m.numberOfRanges > 1,
              let r = Range(m.range(at: 1), in: text) else { return nil }
        return String(text[r])
    }

    func startServer() throws -> (server: SluiceChild, rtmp: Int, srt: Int, http: Int) {
        let server = try SluiceChild(binary, ["serve", "--host", "127.0.0.1", "--rtmp-port", "0", "--srt-port", "0",
                                             "--http-port", "0", "--no-transcode", "--log-level", "warning"])
        let ports = server.waitFor(30) { out -> (Int, Int, Int)? in
            guard let r = Self.firstMatch(#"push to rtmp://127\.0\.0\.1:(\d+)"#, in: out).flatMap(Int.init),
                  let s = Self.firstMatch(#"push to srt://127\.0\.0\.1:(\d+)"#, in: out).flatMap(Int.init),
                  let h = Self.firstMatch(#"play http://127\.0\.0\.1:(\d+)"#, in: out).flatMap(Int.init) else { return nil }
            return (r, s, h)
        }
        guard let ports else {
            server.stop()
            throw CommandFailure("sluice serve did not start within 30 s")
        }
        return (server, ports.0, ports.1, ports.2)
    }

    func run(policy: RatePolicyName, index: Int, of count: Int, server: (rtmp: Int, srt: Int, http: Int)) throws -> Measured {
        let name = "uplink-\(policy.rawValue)-\(Int(Date().timeIntervalSince1970))"
        let shapeStats = "\(workDir)/shape-\(policy.rawValue).jsonl"
        let pushStats = "\(workDir)/push-\(policy.rawValue).jsonl"
        let duration = schedule.duration
        var shapeArgs = ["shape", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:\(srt ? server.srt : server.rtmp)",
                         "--trace", schedulePath, "--direction", "up", "--delay", "\(delayMs)", "--queue", "\(queueMs)",
                         "--stats", shapeStats, "--duration", "\(Int(duration) + 20)"]
        if srt { shapeArgs.insert("--udp", at: 1) }
        if let burstLoss { shapeArgs += ["--burst-loss", burstLoss, "--seed", "7"] }
        let shape = try SluiceChild(binary, shapeArgs)
        defer { shape.stop() }
        guard let shapePort = shape.waitFor(15, { Self.firstMatch(#"listening on 127\.0\.0\.1:(\d+)"#, in: $0).flatMap(Int.init) }) else {
            throw CommandFailure("sluice shape did not start within 15 s: \(shape.output)")
        }
        let shapeStart = Date()
        let url = srt ? "srt://127.0.0.1:\(shapePort)?streamid=live/\(name)" : "rtmp://127.0.0.1:\(shapePort)/live/\(name)"
        let push = try SluiceChild(binary, ["push", url, "--adaptive", "--policy", policy.rawValue, "--kbps", "\(startKbps)",
                                            "--min-kbps", "\(minKbps)", "--max-kbps", "\(maxKbps)",
                                            "--duration", "\(duration)", "--stats", pushStats, "--size", size])
        defer { push.stop() }
        let offset = Date().timeIntervalSince(shapeStart)
        Thread.sleep(forTimeInterval: 3)
        let probe = try SluiceChild(binary, ["probe", "http://127.0.0.1:\(server.http)/live/\(name)/index.m3u8",
                                             "--duration", "\(max(5, duration - 5))", "--json"])
        defer { probe.stop() }
        var lastProgress = Date()
        while push.isRunning, Date().timeIntervalSince(shapeStart) < duration + 60 {
            Thread.sleep(forTimeInterval: 0.5)
            if Date().timeIntervalSince(lastProgress) >= 5 {
                lastProgress = Date()
                let t = Date().timeIntervalSince(shapeStart)
                let line = (try? String(contentsOfFile: pushStats, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
                let target = Self.firstMatch(#""target_kbps":(\d+)"#, in: line) ?? "?"
                log(String(format: "[%d/%d] %@ %3.0f/%.0f s: capacity %.0f kbit/s, target %@ kbit/s",
                           index, count, policy.rawValue, t, duration, schedule.kbps(at: t), target))
            }
        }
        push.stop()
        _ = probe.waitExit(15)
        let probeJSON = probe.output.split(separator: "\n").last.map(String.init) ?? ""
        let report = try? JSONDecoder().decode(ProbeNumbers.self, from: Data(probeJSON.utf8))
        shape.stop()
        return measure(policy: policy, pushStats: pushStats, shapeStats: shapeStats, offset: offset, report: report)
    }

    struct ProbeNumbers: Decodable {
        struct Stalls: Decodable { var count: Int; var seconds: Double }
        var p90Ms: Double
        var p95Ms: Double
        var p99Ms: Double
        var stalls: Stalls?
    }

    private func jsonLines(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    private func measure(policy: RatePolicyName, pushStats: String, shapeStats: String, offset: Double,
                         report: ProbeNumbers?) -> Measured {
        func num(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
        let pushLines = jsonLines(pushStats)
        let samples = pushLines.compactMap { l -> (t: Double, target: Double, sent: Double, queue: Double)? in
            guard let t = num(l["t"]), let target = num(l["target_kbps"]) else { return nil }
            return (t + offset, target, num(l["sent_kbps"]) ?? 0, num(l["queue_ms"]) ?? 0)
        }
        let dropped = pushLines.last.flatMap { num($0["dropped_frames"]) }.map { Int($0) }
        let seconds = jsonLines(shapeStats).filter { ($0["dir"] as? String) == "up" && $0["t"] != nil }
        var usable = 0.0, delivered = 0.0
        var delays: [Double] = []
        var shapeDelay: [Int: Double] = [:]
        for s in seconds {
            guard let t = num(s["t"]), t <= schedule.duration + offset else { continue }
            let cap = (num(s["capacity_mbps"]) ?? 0) * 1000
            usable += min(cap, Double(maxKbps))
            delivered += (num(s["delivered_mbps"]) ?? 0) * 1000
            shapeDelay[Int(t.rounded(.up))] = num(s["queue_delay_ms"]) ?? 0
        }
        var timeline: [SimulationResult.Point] = []
        for s in samples {
            let d = s.queue + (shapeDelay[Int(s.t.rounded(.up))] ?? 0)
            delays.append(d)
            timeline.append(.init(time: s.t, capacityKbps: schedule.kbps(at: s.t), bitrateKbps: s.sent, queueDelayMs: d))
        }
        delays.sort()
        func pct(_ p: Double) -> Double { delays.isEmpty ? 0 : delays[min(delays.count - 1, Int(Double(delays.count - 1) * p))] }
        let m = AdaptationMetrics.evaluate(rates: samples.map { ($0.t, $0.target) }, schedule: schedule, maxKbps: maxKbps)
        let result = SimulationResult(policy: policy, schedule: schedule.name, transport: srt ? .srt : .tcp,
                                      utilisation: usable > 0 ? delivered / usable : 0,
                                      queueDelayP50Ms: pct(0.5), queueDelayP95Ms: pct(0.95),
                                      fitAfterDrop: m.fitAfterDrop, recoverAfterRise: m.recoverAfterRise,
                                      oscillations: m.oscillations, lostBytes: 0, droppedBytes: 0, keyframeDrops: 0,
                                      qualityStepChanges: 0, timeline: timeline)
        return Measured(result: result, g2gP90Ms: report?.p90Ms, g2gP95Ms: report?.p95Ms, g2gP99Ms: report?.p99Ms,
                        stalls: report?.stalls?.count, stallSeconds: report?.stalls?.seconds, droppedFrames: dropped)
    }
}
