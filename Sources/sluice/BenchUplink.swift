import ArgumentParser
import BitrateControl
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    /// The publisher's bitrate controllers against a capacity schedule: measured (a server,
    /// `sluice shape` on the push path, `sluice push --adaptive` per policy, `sluice probe` on
    /// LL-HLS), or with `--simulate` on BitrateControl's fluid link model (deterministic, seconds).
    struct Uplink: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the adaptive-bitrate policies over a capacity schedule (RFC 8867 profile or a trace).",
            discussion: """
            Schedules: {"steps_kbps_seconds": [[kbps, s], ...]} JSON, `time_s Mbps` lines, or a Mahimahi \
            trace (one millisecond timestamp per 1500-byte packet). Reports per policy: utilisation \
            (delivered ÷ min(capacity, --max-kbps)), added queuing delay p50/p95, time to fit after \
            each drop, time to recover after each rise, oscillations, lost and dropped bytes.
            """
        )
        @Option(help: "Capacity schedule file.") var schedule: String
        @Option(help: "srt or rtmp (TCP back-pressure).") var transport: String = "srt"
        @Option(help: "A policy (\(RatePolicyName.allCases.map(\.rawValue).joined(separator: ", "))), a comma-separated list of them, or all.") var policy: String = "all"
        @Flag(help: "Run on the simulated link (BitrateControl's fluid model) instead of a real one.") var simulate = false
        @Flag(help: "With --simulate: an encoder that lags, undershoots and sends frames and keyframes, and a jittery RTT, as measured (Docs/RateControl.md).")
        var realistic = false
        @Option(help: "With --realistic: the seed of the encoder's frame sizes and the RTT jitter.") var seed: UInt64 = 7
        @Option(help: "Lowest bitrate, kbit/s.") var minKbps: Int = 300
        @Option(help: "Highest bitrate, kbit/s.") var maxKbps: Int = 3000
        @Option(help: "Start bitrate, kbit/s.") var startKbps: Int = 1000
        @Option(help: "Base RTT, ms (measured run: the shaper's delay on the push path).") var rttMs: Double = 100
        @Option(help: "Bottleneck queue, ms at the current rate.") var queueMs: Double = 300
        @Option(help: "Measured run: the test pattern's picture size, WIDTHxHEIGHT.") var size: String = "1280x720"
        @Option(help: "Measured run: directory for the shaper's and pushers' stats files (default: a temporary one).") var workDir: String?
        @Option(help: "Write an SVG plot of bitrate and queue delay against capacity.") var plot: String?
        @Option(help: "Write the timeline as CSV (policy, time s, capacity, bitrate kbit/s, queue delay ms; 0.1 s steps).")
        var timeline: String?
        @Option(help: "Measured run: Gilbert–Elliott loss on the push path, P_GOOD_TO_BAD,P_BAD_TO_GOOD (sluice shape --burst-loss, seed 7).")
        var burstLoss: String?
        @Flag(help: "End with one JSON object on the last line.") var json = false

        func validate() throws {
            guard ["srt", "rtmp"].contains(transport) else { throw ValidationError("--transport must be srt or rtmp") }
            guard policy == "all" || policy.split(separator: ",", omittingEmptySubsequences: false).allSatisfy({ RatePolicyName(rawValue: String($0)) != nil }) else {
                throw ValidationError("unknown --policy '\(policy)' (one of \(RatePolicyName.allCases.map(\.rawValue).joined(separator: ", ")), all)")
            }
            guard minKbps > 0, maxKbps >= minKbps, startKbps > 0 else { throw ValidationError("need 0 < --min-kbps <= --max-kbps and --start-kbps > 0") }
            guard rttMs >= 0, queueMs > 0, rttMs.isFinite, queueMs.isFinite else { throw ValidationError("--rtt-ms must be >= 0 and --queue-ms > 0") }
            if let burstLoss {
                let p = burstLoss.split(separator: ",").compactMap { Double($0) }
                guard p.count == 2, p.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
                    throw ValidationError("--burst-loss must be P_GOOD_TO_BAD,P_BAD_TO_GOOD, each 0...1")
                }
                guard !simulate else { throw ValidationError("--burst-loss needs the measured run (the simulator has no loss model)") }
            }
            guard !realistic || simulate else { throw ValidationError("--realistic applies to --simulate only") }
        }

        func run() throws {
            let sched: CapacitySchedule
            do { sched = try CapacitySchedule.load(path: schedule) } catch { throw CommandFailure("\(error)") }
            let policies = policy == "all" ? RatePolicyName.allCases : policy.split(separator: ",").compactMap { RatePolicyName(rawValue: String($0)) }
            guard simulate else { return try measured(sched, policies) }
            let kind: LinkSimulator.Transport = transport == "srt" ? .srt : .tcp
            var link = LinkSimulator.Config(transport: kind, baseRttMs: rttMs, bottleneckQueueMs: queueMs, rttJitterMs: realistic ? 25 : 0)
            link.jitterSeed = seed &+ 4
            var encoder = EncoderModel.x264TestPattern(kind)
            encoder.seed = seed
            let options = Simulation.Options(minKbps: minKbps, maxKbps: maxKbps, startKbps: startKbps, link: link,
                                             encoder: realistic ? encoder : nil)
            printErr("SIMULATION (fluid link model\(realistic ? " with a lagging, undershooting, framed encoder and RTT jitter" : ""), not a network): \(sched.name), \(Int(sched.duration)) s, \(transport), RTT \(Int(rttMs)) ms, queue \(Int(queueMs)) ms, \(minKbps)-\(maxKbps) kbit/s from \(startKbps)")
            var results: [SimulationResult] = []
            for (n, p) in policies.enumerated() {
                printErr("[\(n + 1)/\(policies.count)] \(p.rawValue)…")
                results.append(Simulation.run(policy: p, schedule: sched, options: options))
            }
            print(UplinkReport.table(results))
            try writeTimeline(results)
            if let plot {
                do { try UplinkReport.svg(results).write(toFile: plot, atomically: true, encoding: .utf8) } catch {
                    throw CommandFailure("cannot write \(plot): \(error.localizedDescription)")
                }
                printErr("plot: \(plot)")
            }
            if json { print(UplinkReport.json(results)) }
        }

        private func measured(_ sched: CapacitySchedule, _ policies: [RatePolicyName]) throws {
            guard let binary = Bundle.main.executablePath else { throw CommandFailure("cannot find the sluice executable") }
            let dir = workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("sluice-uplink-\(getpid())").path
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw CommandFailure("cannot create \(dir): \(error.localizedDescription)")
            }
            let runner = UplinkRun(binary: binary, schedule: sched, schedulePath: schedule, srt: transport == "srt",
                                   minKbps: minKbps, maxKbps: maxKbps, startKbps: startKbps, delayMs: rttMs, queueMs: queueMs,
                                   size: size, workDir: dir, burstLoss: burstLoss, log: printErr)
            printErr("MEASURED: \(sched.name)\(burstLoss.map { " with burst loss " + $0 } ?? ""), \(Int(sched.duration)) s per policy, \(transport) through sluice shape (delay \(Int(rttMs)) ms, queue \(Int(queueMs)) ms), \(minKbps)-\(maxKbps) kbit/s from \(startKbps); stats in \(dir)")
            let server = try runner.startServer()
            defer { server.server.stop() }
            var results: [UplinkRun.Measured] = []
            for (n, p) in policies.enumerated() {
                printErr("[\(n + 1)/\(policies.count)] \(p.rawValue)…")
                results.append(try runner.run(policy: p, index: n + 1, of: policies.count, server: (server.rtmp, server.srt, server.http)))
            }
            print(UplinkReport.table(results.map(\.result), measured: results))
            try writeTimeline(results.map(\.result))
            if let plot {
                do { try UplinkReport.svg(results.map(\.result)).write(toFile: plot, atomically: true, encoding: .utf8) } catch {
                    throw CommandFailure("cannot write \(plot): \(error.localizedDescription)")
                }
                printErr("plot: \(plot)")
            }
            if json { print(UplinkReport.json(results.map(\.result), measured: results)) }
        }

        private func writeTimeline(_ results: [SimulationResult]) throws {
            guard let timeline else { return }
            var csv = "policy,time_s,capacity_kbps,bitrate_kbps,queue_ms\n"
            for r in results {
                for p in r.timeline {
                    csv += "\(r.policy.rawValue),\(String(format: "%.2f", p.time)),\(Int(p.capacityKbps)),\(Int(p.bitrateKbps)),\(String(format: "%.0f", p.queueDelayMs))\n"
                }
            }
            do { try csv.write(toFile: timeline, atomically: true, encoding: .utf8) } catch {
                throw CommandFailure("cannot write \(timeline): \(error.localizedDescription)")
            }
        }

        private func printErr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
    }
}

enum UplinkReport {
    static func seconds(_ xs: [Double?]) -> String {
        xs.isEmpty ? "n/a" : xs.map { $0.map { String(format: "%.2f", $0) } ?? "never" }.joined(separator: " / ")
    }

    static func table(_ results: [SimulationResult], measured: [UplinkRun.Measured]? = nil) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("policy", 11) + pad("util", 8) + pad("queue p50", 11) + pad("queue p95", 11) + pad("fit after drop s", 18)
                     + pad("recover after rise s", 22) + pad("oscill.", 9) + pad("lost kB", 10) + pad("dropped kB", 12) + "quality steps"]
        for r in results {
            lines.append(pad(r.policy.rawValue, 11) + pad(String(format: "%.1f%%", r.utilisation * 100), 8)
                         + pad(String(format: "%.0f ms", r.queueDelayP50Ms), 11) + pad(String(format: "%.0f ms", r.queueDelayP95Ms), 11)
                         + pad(seconds(r.fitAfterDrop), 18) + pad(seconds(r.recoverAfterRise), 22) + pad("\(r.oscillations)", 9)
                         + pad(String(format: "%.0f", r.lostBytes / 1000), 10) + pad(String(format: "%.0f", r.droppedBytes / 1000), 12)
                         + "\(r.qualityStepChanges)")
        }
        if let measured {
            lines.append("viewer (LL-HLS, sluice probe): " + measured.map { m in
                let f = { (v: Double?) in v.map { String(format: "%.0f ms", $0) } ?? "n/a" }
                let stalls = m.stalls.map { "\($0) (\(String(format: "%.1f", m.stallSeconds ?? 0)) s)" } ?? "n/a"
                return "\(m.result.policy.rawValue) g2g p95 \(f(m.g2gP95Ms)) p99 \(f(m.g2gP99Ms)), stalls \(stalls), dropped frames \(m.droppedFrames.map(String.init) ?? "n/a")"
            }.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }

    /// The issue's JSON shape; the simulation has no viewer, so g2g and stalls are null, and a
    /// step that never fitted or recovered is null.
    static func json(_ results: [SimulationResult], measured: [UplinkRun.Measured]? = nil) -> String {
        func num(_ x: Double?) -> Any { x.map { ($0 * 1000).rounded() / 1000 } ?? NSNull() }
        func worst(_ xs: [Double?]) -> Any {
            if xs.isEmpty { return NSNull() }
            if xs.contains(where: { $0 == nil }) { return NSNull() }
            return num(xs.compactMap { $0 }.max())
        }
        let policies: [[String: Any]] = results.enumerated().map { n, r in
            let m = measured.map { $0[n] }
            return [
                "name": r.policy.rawValue,
                "simulated": measured == nil,
                "utilisation": num(r.utilisation),
                "queue_delay_ms": ["p50": num(r.queueDelayP50Ms), "p95": num(r.queueDelayP95Ms)],
                "g2g_ms": ["p95": num(m?.g2gP95Ms), "p90": num(m?.g2gP90Ms), "p99": num(m?.g2gP99Ms)],
                "fit_after_drop_s": worst(r.fitAfterDrop),
                "recover_s": worst(r.recoverAfterRise),
                "oscillations": r.oscillations,
                "dropped_frames": m?.droppedFrames.map { $0 as Any } ?? NSNull(),
                "dropped_bytes": Int(r.droppedBytes),
                "stalls": m?.stalls.map { $0 as Any } ?? NSNull(),
                "stall_s": num(m?.stallSeconds),
            ]
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["policies": policies], options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Two panels sharing the time axis: bitrate (capacity in grey) and queue delay, a line per policy.
    static func svg(_ results: [SimulationResult]) -> String {
        let w = 960.0, h = 640.0, left = 60.0, right = 150.0, top = 30.0, gap = 50.0
        let panelH = (h - top - gap - 40) / 2
        let colours = ["#888888", "#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd"]
        let duration = results.flatMap(\.timeline).map(\.time).max() ?? 1
        let maxRate = max(results.flatMap(\.timeline).map { max($0.bitrateKbps, $0.capacityKbps) }.max() ?? 1, 1) * 1.05
        let maxDelay = min(max(results.flatMap(\.timeline).map(\.queueDelayMs).max() ?? 1, 50), 2000) * 1.05
        func x(_ t: Double) -> Double { left + (w - left - right) * t / duration }
        func yRate(_ k: Double) -> Double { top + panelH * (1 - min(k, maxRate) / maxRate) }
        func yDelay(_ d: Double) -> Double { top + panelH + gap + panelH * (1 - min(d, maxDelay) / maxDelay) }
        func path(_ pts: [(Double, Double)], _ colour: String, _ width: Double = 1.5) -> String {
            let d = pts.enumerated().map { String(format: "%@%.1f,%.1f", $0.offset == 0 ? "M" : "L", $0.element.0, $0.element.1) }.joined()
            return "<path d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(width)\"/>"
        }
        var s = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">",
                 "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"]
        s.append("<text x=\"\(left)\" y=\"18\">Sent bitrate vs capacity (kbit/s) — \(results.first?.schedule ?? "")\(results.first.map { ", " + $0.transport.rawValue } ?? "")</text>")
        s.append("<text x=\"\(left)\" y=\"\(Int(top + panelH + gap - 10))\">Added queuing delay (ms, clipped at \(Int(maxDelay)))</text>")
        for (y0, label) in [(top, Int(maxRate)), (top + panelH + gap, Int(maxDelay))] {
            s.append("<rect x=\"\(left)\" y=\"\(y0)\" width=\"\(w - left - right)\" height=\"\(panelH)\" fill=\"none\" stroke=\"#ccc\"/>")
            s.append("<text x=\"4\" y=\"\(Int(y0 + 10))\">\(label)</text><text x=\"4\" y=\"\(Int(y0 + panelH))\">0</text>")
        }
        s.append("<text x=\"\(Int(w - right - 40))\" y=\"\(Int(h - 10))\">\(Int(duration)) s</text>")
        if let first = results.first {
            s.append(path(first.timeline.map { (x($0.time), yRate($0.capacityKbps)) }, "#bbbbbb", 3))
        }
        for (n, r) in results.enumerated() {
            let c = colours[(n + 1) % colours.count]
            s.append(path(r.timeline.map { (x($0.time), yRate($0.bitrateKbps)) }, c))
            s.append(path(r.timeline.map { (x($0.time), yDelay($0.queueDelayMs)) }, c))
            s.append("<text x=\"\(Int(w - right + 10))\" y=\"\(Int(top + 20 + Double(n) * 18))\" fill=\"\(c)\">\(r.policy.rawValue)</text>")
        }
        s.append("<text x=\"\(Int(w - right + 10))\" y=\"\(Int(top + 20 + Double(results.count) * 18))\" fill=\"#999\">capacity</text>")
        s.append("</svg>")
        return s.joined(separator: "\n")
    }
}
