import ABR
import Foundation
import Testing

@Suite struct PolicyTests {
    @Test func bbaIsLinearBetweenReservoirAndCushion() {
        let bba = BBA()
        #expect(bba.level(bufferSeconds: 4.9, levels: 6) == 0)
        #expect(bba.level(bufferSeconds: 7.5, levels: 6) == 1)  // 5 × 2.5 / 10 = 1.25
        #expect(bba.level(bufferSeconds: 14.9, levels: 6) == 4)  // 5 × 9.9 / 10 = 4.95
        #expect(bba.level(bufferSeconds: 15, levels: 6) == 5)
    }

    @Test func rateBasedTakesTheHarmonicMeanOfChunkRates() {
        var rb = RateBased()
        #expect(rb.next(context(bytes: 1_000_000, seconds: 4)) == 3)  // 2 Mbit/s → 1850
        #expect(rb.next(context(bytes: 1_000_000, seconds: 16)) == 1)  // harmonic(2, 0.5) = 0.8 → 750
    }

    @Test func bolaGoesFromLowestOnEmptyBufferToHighestOnAFullOne() {
        var bola = BOLA()
        #expect(bola.next(context(buffer: 0)) == 0)
        #expect(bola.next(context(buffer: 30)) == 5)
    }

    @Test func robustMPCDiscountsByItsLargestRecentError() {
        var mpc = RobustMPC()
        // 1 MB over 1 s is 1 MB/s: a plan of top chunks (≈ 2.1 MB each) loses to the buffer-safe one.
        #expect(mpc.next(context(buffer: 0, bytes: 1_000_000, seconds: 1)) < 5)
        mpc.reset()
        #expect(mpc.next(context(buffer: 30, bytes: 100_000_000, seconds: 1)) == 5)
        mpc.reset()
        #expect(mpc.next(context(buffer: 0, bytes: 10_000, seconds: 1)) == 0)
    }

    @Test func sluiceChunkScenariosAreTheCappedRecentErrorsOfTheHarmonicMean() {
        // harmonic(1, 2, 1) = 1.2; errors: 2 / harmonic(1) = 2 → capped 0.8, 1 / harmonic(1, 2) = 0.75.
        let rates = SluiceChunk.scenarioRates([1, 2, 1], window: 5, count: 3, cap: 0.8, first: 2.0 / 3)
        #expect(rates.count == 2)
        #expect(abs(rates[0] - 0.96) < 1e-12)
        #expect(abs(rates[1] - 0.9) < 1e-12)
        #expect(SluiceChunk.scenarioRates([6], window: 5, count: 3, cap: 0.8, first: 2.0 / 3) == [4])
        #expect(SluiceChunk.scenarioRates([], window: 5, count: 3, cap: 0.8, first: 2.0 / 3).isEmpty)
    }

    @Test func sluiceChunkClimbsOnAFastLinkAndHoldsBackOnAnEmptyBuffer() {
        var s = SluiceChunk()
        // 100 MB/s and 30 s buffered: the top level.
        #expect(s.next(context(buffer: 30, bytes: 100_000_000, seconds: 1.08)) == 5)
        s.reset()
        // 1 MB/s (scenario 2/3 MB/s) with the buffer empty: a top chunk (≈ 2.1 MB) would stall.
        #expect(s.next(context(buffer: 0, bytes: 1_000_000, seconds: 1.08)) < 5)
        s.reset()
        #expect(s.next(context(buffer: 0, bytes: 10_000, seconds: 1.08)) == 0)
    }

    @Test func transmitTimePredictorDiscountsByTheErrorInsideTheWindow() {
        let p = TransmitTimePredictor(window: 5, errorWindow: 5, errorWeight: 1)
        // harmonic(1, 2) = 4/3; predicting 2 from [1] erred by 0.5 → 4/3 / 1.5.
        #expect(abs(p.throughput([1, 2]) - 8.0 / 9) < 1e-12)
        #expect(p.throughput([]) == 0)
    }

    @Test func ewmaEstimatorTakesTheSlowerOfFastAndSlow() {
        var e = EWMABandwidthEstimator()
        #expect(e.estimateBps == 500_000)  // hls.js's default before a sample
        e.sample(durationMs: 1000, bytes: 125_000)
        #expect(abs(e.estimateBps - 1_000_000) < 1e-6)
        e.sample(durationMs: 1000, bytes: 250_000)
        // fast (3 s) 1,557,506.67, slow (9 s) 1,519,244.58: the smaller.
        #expect(abs(e.estimateBps - 1_519_244.5768) < 0.01)
    }

    @Test func hlsjsRulesNeedHeadroomToSwitchUp() {
        // 500 kB in 4 s after an 80 ms first byte: 1 Mbit/s. 0.7 × 1 Mbit/s < 750 kbit/s: no up-switch from 0;
        // staying at 750 needs 0.95 × 1 Mbit/s ≥ 750 kbit/s and loads in 3.24 s < 10 s of buffer.
        var up = HlsjsEWMA()
        #expect(up.next(context(lastLevel: 0, buffer: 10, bytes: 500_000, seconds: 4.08)) == 0)
        var stay = HlsjsEWMA()
        #expect(stay.next(context(lastLevel: 1, buffer: 10, bytes: 500_000, seconds: 4.08)) == 1)
    }

    @Test func partThroughputFromFirstByteSeesTheLink() {
        // hls.js #2861: 1,171 bytes, 29 ms to first byte, then one burst.
        let s = DownloadSample(bytes: 1171, firstByteMs: 29, transferMs: 0.3, mediaSeconds: 0.2)
        #expect(abs(PartThroughput.requestKbps(s) - 1171 * 8 / 29.3) < 1e-9)  // ≈ 320 kbit/s
        #expect(PartThroughput.kbps(s) == 1171 * 8 / 2)  // 2 ms floor
    }

    @Test func lolpShiftsDownAndSlowsWhenTheBufferIsLow() {
        var lolp = LoLPlus()
        // Safe throughput 0.9 × 800 kbit/s = 720 kbit/s; 1000 kbit/s takes 0.69 s with 0.2 s buffered.
        let d = lolp.decide(liveInput(level: 2, buffer: 0.2, samples: [sample(kbps: 800), sample(kbps: 800)]))
        #expect(d.level == 1)
        #expect(abs(d.playbackRate - (0.5 + 1 / (1 + exp(1.5)))) < 1e-12)
    }

    @Test func sluiceLiveStartsLowFollowsTheLinkAndCatchesUpGently() {
        let s = SluiceLive()
        #expect(s.decide(liveInput()) == LiveDecision(level: 0, playbackRate: 1))
        let fast = Array(repeating: sample(kbps: 5000), count: 5)
        #expect(s.decide(liveInput(level: 1, buffer: 1, samples: fast)).level == 2)
        let slow = Array(repeating: sample(kbps: 150), count: 5)
        #expect(s.decide(liveInput(level: 2, buffer: 1, samples: slow)).level == 0)
        #expect(s.decide(liveInput(level: 2, buffer: 1.2, latency: 3, samples: fast)).playbackRate == 1.05)
    }

    @Test func transmitTimePredictorRestartsAtAStepUpButNotFromABurst() {
        let p = SluiceLive().predictor
        // 1200 after four 500s: above 1.5 × their harmonic mean, the prediction is that sample.
        #expect(p.throughputKbps([500, 500, 500, 500, 1200].map { sample(kbps: $0) }) == 1200)
        // A 1,171-byte part in 0.3 ms (4.7 Mbit/s at the 2 ms floor) starts no step.
        let burst = DownloadSample(bytes: 1171, firstByteMs: 29, transferMs: 0.3, mediaSeconds: 0.2)
        #expect(p.throughputKbps([500, 500, 500, 500].map { sample(kbps: $0) } + [burst]) < 600)
    }

    @Test func sluiceLivePlansACommitmentAtTheSlowestRecentSample() {
        // Harmonic mean of 1400,1400,700,1400,1400 ≈ 933 kbit/s after the error discount: a part at
        // 1000 kbit/s fits. Committed to a segment of 2 parts, the plan uses 700 kbit/s and steps down.
        var input = liveInput(level: 2, buffer: 0.6, latency: 1.1, samples: [1400, 1400, 700, 1400, 1400].map { sample(kbps: $0) })
        #expect(SluiceLive().decide(input).level == 2)
        input.commitParts = 2
        #expect(SluiceLive().decide(input).level == 1)
    }

    @Test func sluiceLiveGoesUpACommitmentOnlyOnTheLongerRecord() {
        // Three segments at 300 kbit/s, then five at 1500: the window (and its slowest sample) says
        // 1500, the harmonic mean of all eight 8 / (3/300 + 5/1500) = 600.
        let slow = DownloadSample(bytes: 37_500, firstByteMs: 20, transferMs: 1000, mediaSeconds: 1)
        let fast = DownloadSample(bytes: 37_500, firstByteMs: 20, transferMs: 200, mediaSeconds: 1)
        let samples = [slow, slow, slow, fast, fast, fast, fast, fast]
        #expect(abs(SluiceLive().predictor.longKbps(samples) - 600) < 1e-9)
        // At 459 kbit/s with 1 s buffered, five 0.24 s parts committed: every level is planned at
        // 600 at most, going up at 0.8 × 600 = 480: a 0.24 s part at 723 takes 0.02 + 723 × 0.24
        // / 480 = 0.3815 s, more than it plays, so 723 is not a candidate and the level stays.
        let input = LiveInput(bitratesKbps: [114, 245, 459, 723], currentLevel: 2, bufferSeconds: 1, latencySeconds: 1.8,
                              targetLatencySeconds: 1.5, partSeconds: 0.24, samples: samples, commitParts: 5)
        #expect(SluiceLive().decide(input).level == 2)
        // Eight segments at 1500: up at 1200, 0.02 + 723 × 0.24 / 1200 = 0.1646 s a part: up.
        var steady = input
        steady.samples = [DownloadSample](repeating: fast, count: 8)
        #expect(SluiceLive().decide(steady).level == 3)
        // One part at a time (the simulator, `sluice probe`), the rule does not apply.
        var perPart = input
        perPart.commitParts = 1
        #expect(SluiceLive().decide(perPart).level == 3)
    }

    @Test func everyPolicyIsFoundByName() {
        for name in Policies.chunkNames { #expect(Policies.chunk(name)?.name == name) }
        for name in Policies.liveNames { #expect(Policies.live(name)?.name == name) }
        #expect(Policies.chunk("nope") == nil)
    }
}
