import BitrateControl
import Foundation
import Testing

/// Runs a policy on the fluid link simulator and returns the bitrate decided at each sample.
private func simulate(_ policy: RatePolicyName, _ transport: LinkSimulator.Transport,
                      _ steps: [(kbps: Double, seconds: Double)]) -> SimulationResult {
    Simulation.run(policy: policy, schedule: .steps(steps),
                   options: .init(minKbps: 300, maxKbps: 2000, startKbps: 1000, link: .init(transport: transport)))
}

private func realistic(_ transport: LinkSimulator.Transport, maxKbps: Int) -> Simulation.Options {
    .init(minKbps: 300, maxKbps: maxKbps, startKbps: 1000, link: .init(transport: transport, rttJitterMs: 25),
          encoder: .x264TestPattern(transport))
}

private func mean(_ r: SimulationResult, from: Double, to: Double) -> Double {
    let window = r.timeline.filter { $0.time >= from && $0.time < to }
    return window.map(\.bitrateKbps).reduce(0, +) / Double(max(window.count, 1))
}

@Suite struct RateControllerTests {
    /// Each adaptive policy on the transport it was written for (OBS: RTMP/TCP, belacoder: SRT),
    /// ours and GCC on both: down when 1.5 Mbit/s becomes 0.5, up again when it comes back.
    @Test(arguments: [
        (RatePolicyName.obs, LinkSimulator.Transport.tcp), (.belacoder, .srt),
        (.gcc, .tcp), (.gcc, .srt), (.sluice, .tcp), (.sluice, .srt),
    ])
    func stepsDownOnADropAndBackUpOnARise(policy: RatePolicyName, transport: LinkSimulator.Transport) {
        let r = simulate(policy, transport, [(1500, 20), (500, 15), (1500, 25)])
        let before = mean(r, from: 15, to: 20)
        let low = mean(r, from: 30, to: 35)
        let after = mean(r, from: 55, to: 60)
        #expect(low <= 500 * 1.2, "\(policy) over \(transport): \(low) kbit/s on a 500 kbit/s link")
        #expect(low < before * 0.8)
        #expect(after >= low * 1.5, "\(policy) over \(transport): \(low) -> \(after) kbit/s")
    }

    @Test func fixedHoldsTheStartRate() {
        var c = RateController(policy: .fixed, minKbps: 300, maxKbps: 3000, startKbps: 2000)
        let d = c.update(LinkSample(time: 0, rttMs: 40, queuedBytes: 500_000, queuedMs: 2000), now: 0)
        #expect(d == RateDecision(bitrateKbps: 2000, step: .full, dropToKeyframe: false))
    }

    @Test func rangeIsNormalised() {
        let c = RateController(policy: .sluice, minKbps: 2000, maxKbps: 500, startKbps: 9000)
        #expect(c.minKbps == 500 && c.maxKbps == 500 && c.current.bitrateKbps == 500)
    }

    /// OBS: with >= 200 ms queued it sets the throughput it measured over the last 1-2 s, rounded
    /// down to 100 kbit/s, then needs another full second of data before it can cut again; 4 s
    /// after a change it adds a tenth of the configured (maximum) rate.
    @Test func obsCutsToItsThroughputEstimateAndClimbsEveryFourSeconds() {
        var c = RateController(policy: .obs, minKbps: 100, maxKbps: 2000, startKbps: 2000)
        var sent = 0
        var t = 0.0
        func step(queuedMs: Double, kbps: Double) -> RateDecision {
            t += 0.05
            sent += Int(kbps * 1000 / 8 * 0.05)
            return c.update(LinkSample(time: t, queuedBytes: 0, queuedMs: queuedMs, sentBytesTotal: sent), now: t)
        }
        for _ in 0..<30 { #expect(step(queuedMs: 0, kbps: 850).bitrateKbps == 2000) }
        #expect(step(queuedMs: 250, kbps: 850).bitrateKbps == 800)
        for _ in 0..<10 { #expect(step(queuedMs: 250, kbps: 850).bitrateKbps == 800) }
        // The cut was at t = 1.55 s: the next step is due at 5.55 s.
        var last = RateDecision(bitrateKbps: 0)
        while t < 5.45 { last = step(queuedMs: 0, kbps: 800) }
        #expect(last.bitrateKbps == 800)
        while t < 5.7 { last = step(queuedMs: 0, kbps: 800) }
        #expect(last.bitrateKbps == 1000)
    }

    /// belacoder: RTT at a third of the SRT latency drops straight to the minimum; above a fifth
    /// it cuts 100 kbit/s + 10 %.
    @Test func belacoderRttThresholds() {
        func run(rtts: [Double]) -> RateDecision {
            var c = RateController(policy: .belacoder, minKbps: 300, maxKbps: 6000, startKbps: 4000, srtLatencyMs: 1200)
            var d = c.current
            for (i, rtt) in rtts.enumerated() {
                let t = Double(i + 1) * 0.02
                d = c.update(LinkSample(time: t, rttMs: rtt, queuedBytes: 0, deliveryRateKbps: 4000), now: t)
            }
            return d
        }
        #expect(run(rtts: Array(repeating: 50, count: 10) + [400]).bitrateKbps == 300)
        // The first calm sample adds 30 kbit/s + 1/30 (4163), then 4163 - (100 + 416) = 3647,
        // rounded down to 100 kbit/s.
        #expect(run(rtts: Array(repeating: 50, count: 10) + [250]).bitrateKbps == 3600)
        // Below both, steady RTT: no cut.
        #expect(run(rtts: Array(repeating: 50, count: 11)).bitrateKbps >= 4000)
    }

    /// GCC: a steadily rising delay is overuse (rate to 0.85x what is acknowledged); a flat one lets
    /// the rate grow.
    @Test func gccDetectsOveruseFromTheDelayTrend() {
        func run(rttSlopeMsPerSample: Double) -> Int {
            var c = RateController(policy: .gcc, minKbps: 100, maxKbps: 5000, startKbps: 1000)
            var sent = 0
            var d = c.current
            for i in 1...100 {
                let t = Double(i) * 0.02
                sent += Int(1000.0 * 1000 / 8 * 0.02)
                let rtt = 50 + Double(max(0, i - 50)) * rttSlopeMsPerSample
                d = c.update(LinkSample(time: t, rttMs: rtt, queuedBytes: 0, sentBytesTotal: sent), now: t)
            }
            return d.bitrateKbps
        }
        #expect(run(rttSlopeMsPerSample: 5) <= 870)
        #expect(run(rttSlopeMsPerSample: 0) > 1000)
    }

    /// Sluice on a steady link settles: after the first seconds its rate stays within a few per
    /// cent of the capacity, it never reverses by 10 % or more, and it changes direction only
    /// for its bounded probes.
    @Test(arguments: LinkSimulator.Transport.allCases)
    func sluiceSettlesOnASteadyLink(transport: LinkSimulator.Transport) {
        let r = Simulation.run(policy: .sluice, schedule: .steps([(1500, 60)]),
                               options: .init(minKbps: 300, maxKbps: 3000, startKbps: 1000, link: .init(transport: transport)))
        let settled = r.timeline.filter { $0.time >= 15 }
        #expect(settled.allSatisfy { $0.bitrateKbps >= 1500 * 0.9 && $0.bitrateKbps <= 1500 * 1.08 },
                "\(transport): \(settled.map(\.bitrateKbps).min() ?? 0)...\(settled.map(\.bitrateKbps).max() ?? 0) kbit/s")
        let metrics = AdaptationMetrics.evaluate(rates: settled.map { ($0.time, $0.bitrateKbps) },
                                                 schedule: .steps([(1500, 60)]), maxKbps: 3000)
        #expect(metrics.oscillations == 0)
        var changes = 0
        var direction = 0.0
        for (a, b) in zip(settled, settled.dropFirst()) where b.bitrateKbps != a.bitrateKbps {
            let d = b.bitrateKbps > a.bitrateKbps ? 1.0 : -1.0
            if direction != 0, d != direction { changes += 1 }
            direction = d
        }
        // 45 s settled: a probe cycle is three reversals (up, drain just below, back to cruise),
        // one every ~3.5 s.
        #expect(changes <= 40, "\(transport): \(changes) direction changes")
        #expect(r.queueDelayP95Ms <= 50)
    }

    /// A probe that builds a queue ends and drains; one that does not keeps its rate and the next
    /// probe goes further: a link that grows 2.5x is found within 5 s, without a 10 % reversal
    /// in the steady parts before and after.
    @Test(arguments: LinkSimulator.Transport.allCases)
    func sluiceFindsAGrownLinkWithinFiveSeconds(transport: LinkSimulator.Transport) {
        let r = Simulation.run(policy: .sluice, schedule: .steps([(1000, 30), (2500, 30)]),
                               options: .init(minKbps: 300, maxKbps: 3000, startKbps: 1000, link: .init(transport: transport)))
        #expect(r.recoverAfterRise.count == 1)
        #expect(r.recoverAfterRise[0].map { $0 <= 5 } == true, "\(transport): \(String(describing: r.recoverAfterRise))")
        #expect(r.utilisation >= 0.9)
    }

    /// With an encoder like the measured x264 (it lags a raise, undershoots, sends keyframes) and
    /// an RTT that jitters by 25 ms: down on a drop, up on a rise.
    @Test(arguments: LinkSimulator.Transport.allCases)
    func sluiceStepsDownAndUpWithARealisticEncoder(transport: LinkSimulator.Transport) {
        let r = Simulation.run(policy: .sluice, schedule: .steps([(1500, 20), (500, 15), (1500, 25)]),
                               options: realistic(transport, maxKbps: 2000))
        let before = mean(r, from: 15, to: 20)
        let low = mean(r, from: 30, to: 35)
        let after = mean(r, from: 50, to: 60)
        #expect(low <= 500 * 1.1, "\(transport): \(low) kbit/s on a 500 kbit/s link")
        #expect(low < before * 0.6)
        #expect(after >= 1500 * 0.8, "\(transport): \(low) -> \(after) kbit/s")
    }

    /// An encoder whose output swings ±6 % with the picture (as x264's did in the measured runs,
    /// second to second at a steady target) on a link that grows from 1.0 to 2.5 Mbit/s: a probe
    /// judged on the far end's whole last second lost the +8 % it asked in a swing's trough,
    /// "carried" instead of "grew", and the recovery took 11–12 s on some seeds (mean 5.7 s over
    /// seeds 1–8 over TCP); judged also on its last half second, the mean is 4.2 s.
    @Test func sluiceFindsGrowthThroughTheEncodersSwing() {
        var total = 0.0
        for seed in UInt64(1)...8 {
            var encoder = EncoderModel.x264TestPattern(.tcp)
            encoder.seed = seed
            encoder.contentSwing = 0.06
            var link = LinkSimulator.Config(transport: .tcp, rttJitterMs: 25)
            link.jitterSeed = seed &+ 4
            let r = Simulation.run(policy: .sluice, schedule: .steps([(1000, 40), (2500, 20)]),
                                   options: .init(minKbps: 300, maxKbps: 3000, startKbps: 1000, link: link, encoder: encoder))
            total += r.recoverAfterRise.first.flatMap { $0 } ?? 20
        }
        #expect(total / 8 <= 5.0, "mean recovery \(total / 8) s")
    }

    /// The same encoder on a steady link: keyframe bursts and RTT noise are not taken for
    /// congestion (the link stays used, the queue short). Reversals are not zero on this model
    /// (4–7 a minute; Docs/RateControl.md): bounded here so that they do not grow back to a sawtooth.
    @Test(arguments: LinkSimulator.Transport.allCases)
    func sluiceHoldsASteadyLinkThroughKeyframesAndJitter(transport: LinkSimulator.Transport) {
        let r = Simulation.run(policy: .sluice, schedule: .steps([(1500, 60)]), options: realistic(transport, maxKbps: 3000))
        #expect(r.oscillations <= 8, "\(transport): \(r.oscillations) reversals")
        #expect(r.utilisation >= 0.85, "\(transport): \(r.utilisation)")
        #expect(r.queueDelayP95Ms <= 200, "\(transport): \(r.queueDelayP95Ms) ms")
    }

    /// On a steady link with a jittery RTT (0–25 ms, seeded) and an exact encoder: no reversal.
    @Test(arguments: LinkSimulator.Transport.allCases)
    func sluiceDoesNotReverseOnRttNoise(transport: LinkSimulator.Transport) {
        let r = Simulation.run(policy: .sluice, schedule: .steps([(1500, 60)]),
                               options: .init(minKbps: 300, maxKbps: 3000, startKbps: 1000,
                                              link: .init(transport: transport, rttJitterMs: 25)))
        let settled = r.timeline.filter { $0.time >= 10 }
        let metrics = AdaptationMetrics.evaluate(rates: settled.map { ($0.time, $0.bitrateKbps) },
                                                 schedule: .steps([(1500, 60)]), maxKbps: 3000)
        #expect(metrics.oscillations == 0, "\(transport): \(metrics.oscillations) reversals")
    }

    /// Radio loss (bursts with no queue and a flat RTT) is not congestion: the rate holds. The
    /// same loss with a standing queue cuts.
    @Test func sluiceTellsRadioLossFromCongestion() {
        func run(queueMs: Double) -> Int {
            var c = RateController(policy: .sluice, minKbps: 300, maxKbps: 3000, startKbps: 1000)
            var sent = 0, d = c.current
            for i in 1...400 {
                let t = Double(i) * 0.025
                sent += Int(Double(d.bitrateKbps) * 1000 / 8 * 0.025)
                // Every 8th sample loses a burst: 3 of ~2 packets a sample, 3 % long run.
                let loss = i % 8 == 0 ? 0.25 : 0
                let queued = Int(Double(d.bitrateKbps) / 8 * (100 + queueMs))
                d = c.update(LinkSample(time: t, rttMs: 100 + queueMs * min(1, t / 3), queuedBytes: queued,
                                        sentBytesTotal: sent, lossRate: loss), now: t)
            }
            return d.bitrateKbps
        }
        #expect(run(queueMs: 0) >= 1000)
        #expect(run(queueMs: 20) < 1000)
    }

    /// An encoder that puts out only 80 % of its target (a simple picture) on a link with room:
    /// the target is not chased down to what the encoder sends.
    @Test func sluiceDoesNotChaseAnUndershootingEncoderDown() {
        var c = RateController(policy: .sluice, minKbps: 300, maxKbps: 3000, startKbps: 1000)
        var sent = 0.0, d = c.current, lowest = Int.max
        for i in 1...800 {
            let t = Double(i) * 0.025
            sent += Double(d.bitrateKbps) * 0.8 * 1000 / 8 * 0.025
            // ±10 ms of scheduling noise on a 100 ms path, nothing queued.
            let rtt = 100 + Double((i * 37) % 11) - 5
            d = c.update(LinkSample(time: t, rttMs: rtt, queuedBytes: 0, sentBytesTotal: Int(sent)), now: t)
            if t >= 3 { lowest = min(lowest, d.bitrateKbps) }
        }
        #expect(lowest >= 1000, "fell to \(lowest) kbit/s")
    }

    /// Sluice at the bottom: a path that carries less than the minimum costs frame rate first,
    /// then resolution; both come back when the path does.
    @Test func sluiceGivesUpFrameRateThenResolutionAtTheBottom() {
        let r = Simulation.run(policy: .sluice, schedule: .steps([(1000, 10), (150, 20), (1500, 30)]),
                               options: .init(minKbps: 300, maxKbps: 1500, startKbps: 800))
        #expect(r.qualityStepChanges == 4)
        var c = RateController(policy: .sluice, minKbps: 300, maxKbps: 1500, startKbps: 800)
        var link = LinkSimulator(config: .init())
        var steps: [QualityStep] = []
        var rate = 800.0
        for i in 0..<12_000 {
            let t = Double(i) * 0.005
            let cap: Double = t < 10 ? 1000 : t < 30 ? 150 : 1500
            link.advance(dt: 0.005, sendKbps: rate, capacityKbps: cap)
            if i % 4 == 3 {
                let d = c.update(link.sample(capacityKbps: cap, sendKbps: rate), now: link.time)
                if d.dropToKeyframe { link.dropToKeyframe() }
                rate = Double(d.bitrateKbps)
                if steps.last != d.step { steps.append(d.step) }
            }
        }
        #expect(steps == [.full, .halfFrameRate, .reducedResolution, .halfFrameRate, .full])
    }

    /// A queue as the encoder's warm-up ends fails the start-up probe back to the start rate, not
    /// to the floor (the measured RTMP run sat at 300 kbit/s for 5 s that way).
    @Test func sluiceStartUpProbeFailsBackToTheStartRate() {
        var c = RateController(policy: .sluice, minKbps: 300, maxKbps: 3000, startKbps: 1000)
        var sent = 0, d = c.current, lowest = Int.max
        for i in 1...120 {
            let t = Double(i) * 0.025
            sent += Int(Double(d.bitrateKbps) * 1000 / 8 * 0.025)
            // 30 ms of queue from 1.5 s on: above a probe's 20 ms rise, below a cut's 90 ms.
            let rtt = 100 + (t >= 1.5 ? 30.0 : 0)
            d = c.update(LinkSample(time: t, rttMs: rtt, queuedBytes: 0, sentBytesTotal: sent), now: t)
            lowest = min(lowest, d.bitrateKbps)
        }
        #expect(lowest >= 900, "fell to \(lowest) kbit/s")
    }

    /// Media queued locally beyond the latency budget is dropped to the next keyframe, at most
    /// once a second.
    @Test func sluiceDropsToKeyframeOverTheLatencyBudget() {
        var c = RateController(policy: .sluice, minKbps: 300, maxKbps: 3000, startKbps: 1000, latencyBudgetMs: 500)
        let calm = c.update(LinkSample(time: 0.02, rttMs: 50, queuedBytes: 1000, queuedMs: 100, sentBytesTotal: 2500), now: 0.02)
        #expect(!calm.dropToKeyframe)
        let over = c.update(LinkSample(time: 0.04, rttMs: 50, queuedBytes: 80_000, queuedMs: 650, sentBytesTotal: 5000), now: 0.04)
        #expect(over.dropToKeyframe)
        let again = c.update(LinkSample(time: 0.06, rttMs: 50, queuedBytes: 80_000, queuedMs: 700, sentBytesTotal: 7500), now: 0.06)
        #expect(!again.dropToKeyframe)
        let later = c.update(LinkSample(time: 1.1, rttMs: 50, queuedBytes: 80_000, queuedMs: 700, sentBytesTotal: 9000), now: 1.1)
        #expect(later.dropToKeyframe)
    }
}

@Suite struct LinkSimulationTests {
    /// A fixed 1 Mbit/s over RFC 8867 §5.1 on TCP: the metrics come out as the arithmetic says.
    @Test func fixedRateMetricsMatchTheArithmetic() {
        let s = CapacitySchedule.steps([(1000, 40), (2500, 20), (600, 20), (1000, 20)])
        let r = Simulation.run(policy: .fixed, schedule: s, options: .init(minKbps: 300, maxKbps: 3000, startKbps: 1000))
        // Delivered 1000*40 + 1000*20 + 600*20 + 1000*20 of 1000*40 + 2500*20 + 600*20 + 1000*20 kbit.
        #expect(abs(r.utilisation - 92.0 / 122.0) < 0.005)
        #expect(r.fitAfterDrop.count == 1 && r.fitAfterDrop[0] == nil)
        #expect(r.recoverAfterRise.count == 2 && r.recoverAfterRise[0] == nil)
        #expect(r.recoverAfterRise[1].map { $0 < 0.05 } == true)
        #expect(r.oscillations == 0)
        #expect(r.queueDelayP95Ms > 5000)
    }

    @Test func schedulesLoadInAllThreeFormats() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("p.json")
        try #"{"steps_kbps_seconds": [[1000, 40], [2500, 20], [600, 20], [1000, 20]]}"#.write(to: json, atomically: true, encoding: .utf8)
        let rfc = try CapacitySchedule.load(path: json.path)
        #expect(rfc.duration == 100 && rfc.kbps(at: 45) == 2500 && rfc.kbps(at: 79.9) == 600 && rfc.isStepwise)

        let trace = dir.appendingPathComponent("t.txt")
        try "0 1.5\n10 0.5\n20 1.5\n".write(to: trace, atomically: true, encoding: .utf8)
        let t = try CapacitySchedule.load(path: trace.path)
        #expect(t.kbps(at: 12) == 500 && t.kbps(at: 25) == 1500 && t.duration == 30)

        // Mahimahi: 10 packets of 1500 bytes in the first 200 ms = 600 kbit/s, then 5 = 300.
        let mm = dir.appendingPathComponent("m.up")
        let stamps = (0..<10).map { $0 * 20 } + (0..<5).map { 200 + $0 * 40 }
        try stamps.map(String.init).joined(separator: "\n").write(to: mm, atomically: true, encoding: .utf8)
        let m = try CapacitySchedule.load(path: mm.path)
        #expect(m.kbps(at: 0.1) == 600 && m.kbps(at: 0.3) == 300 && !m.isStepwise)

        let bad = dir.appendingPathComponent("bad.txt")
        try "0 1.5\n5 -2\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect(throws: CapacitySchedule.LoadError.self) { try CapacitySchedule.load(path: bad.path) }
        #expect(throws: CapacitySchedule.LoadError.self) { try CapacitySchedule.load(path: dir.appendingPathComponent("none").path) }
    }

    /// The shared uplink traces and the RFC 8867 profile parse (when the data directory is there).
    @Test func sharedSchedulesParse() throws {
        let root = "/work/shared/data"
        let files = ["profiles/rfc8867-5.1.json", "uplink/ATT-LTE-driving-2016.up", "uplink/TMobile-LTE-short.up",
                     "uplink/TMobile-UMTS-driving.up"].map { "\(root)/\($0)" }.filter { FileManager.default.fileExists(atPath: $0) }
        for f in files {
            let s = try CapacitySchedule.load(path: f)
            #expect(s.duration > 10 && s.segments.allSatisfy { $0.kbps >= 0 })
        }
    }
}
