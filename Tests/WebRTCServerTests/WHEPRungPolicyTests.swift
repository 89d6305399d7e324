import Testing
@testable import WebRTCServer

/// The WHEP rung chooser on scripted estimate (REMB), loss and RTT sequences, on an injected clock.
@Suite struct WHEPRungPolicyTests {
    /// 720p (3 Mbit/s), 480p (1.2), 360p (0.7), each with 96 kbit/s of Opus and 10 % overhead.
    static let needs = [3_410_000, 1_430_000, 880_000]
    let t0 = ContinuousClock.now
    func at(_ s: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int(s * 1000)) }

    @Test func stepsDownOnADropAndBackUpAfterARise() {
        var p = WHEPRungPolicy()
        var current = 0
        func estimate(_ bps: Int, _ s: Double) -> WHEPRungPolicy.Decision {
            let d = p.estimate(bitsPerSecond: bps, now: at(s), current: current, needs: Self.needs)
            if case .move(let to) = d { current = to }
            return d
        }
        #expect(estimate(5_000_000, 0) == .stay)
        // One estimate below the 720p rung is not enough; the second moves to the highest rung that fits.
        #expect(estimate(2_000_000, 1) == .stay)
        #expect(estimate(1_900_000, 1.2) == .move(to: 1))
        #expect(p.hold == .seconds(10))
        // A collapse (below half of what 480p needs) moves at once, past rungs that do not fit.
        #expect(estimate(500_000, 2) == .move(to: 2))
        #expect(p.hold == .seconds(20))
        #expect(estimate(300_000, 2.5) == .stay) // the bottom rung cannot go lower
        // The path widens: up one rung after the way has been open for the hold (20 s), then the next.
        var moves: [Double: WHEPRungPolicy.Decision] = [:]
        for s in 3...50 {
            let d = estimate(5_000_000, Double(s))
            if d != .stay { moves[Double(s)] = d }
        }
        #expect(moves == [23: .move(to: 1), 44: .move(to: 0)])
        #expect(current == 0)
    }

    @Test func noFlappingOnANoisyEstimate() {
        var p = WHEPRungPolicy()
        // On 480p (needs 1.43 Mbit/s): single dips below it, never two in a row; never enough to go up.
        let noisy = [1_500_000, 1_350_000, 1_600_000, 1_300_000, 1_550_000, 1_380_000]
        for i in 0..<240 {
            #expect(p.estimate(bitsPerSecond: noisy[i % noisy.count], now: at(Double(i) / 2), current: 1, needs: Self.needs) == .stay)
        }
        // Around the threshold of a probe up (1.79 Mbit/s): the way up never stays open for the hold.
        for i in 240..<480 {
            let bps = i.isMultiple(of: 2) ? 2_000_000 : 1_600_000
            #expect(p.estimate(bitsPerSecond: bps, now: at(Double(i) / 2), current: 1, needs: Self.needs) == .stay)
        }
    }

    /// An easy scene sends 480p at 0.9 Mbit/s, not its 1.43: an estimate near what is sent is no
    /// congestion, however far below the rung's bitrate; one well below what is sent is.
    @Test func anEstimateIsJudgedAgainstWhatIsActuallySent() {
        var p = WHEPRungPolicy()
        for s in 0..<20 {
            let bps = s.isMultiple(of: 2) ? 950_000 : 1_050_000
            #expect(p.estimate(bitsPerSecond: bps, sent: 900_000, now: at(Double(s)), current: 1, needs: Self.needs) == .stay)
        }
        // Chromium starts its estimate at about what it receives and lags a bursty sender a little.
        #expect(p.estimate(bitsPerSecond: 700_000, sent: 900_000, now: at(20), current: 1, needs: Self.needs) == .stay)
        #expect(p.estimate(bitsPerSecond: 700_000, sent: 900_000, now: at(20.5), current: 1, needs: Self.needs) == .stay)
        // Under 75 % of it, twice: congestion.
        #expect(p.estimate(bitsPerSecond: 650_000, sent: 900_000, now: at(21), current: 1, needs: Self.needs) == .stay)
        #expect(p.estimate(bitsPerSecond: 640_000, sent: 900_000, now: at(21.5), current: 1, needs: Self.needs) == .move(to: 2))
        // Nothing measured yet (or nothing sent): the rung's need is the level.
        #expect(p.estimate(bitsPerSecond: 2_500_000, sent: 0, now: at(22), current: 0, needs: Self.needs) == .stay)
        #expect(p.estimate(bitsPerSecond: 2_000_000, sent: 0, now: at(23), current: 0, needs: Self.needs) == .stay)
        #expect(p.estimate(bitsPerSecond: 2_000_000, sent: nil, now: at(24), current: 0, needs: Self.needs) == .move(to: 1))
    }

    /// After a move up the estimate lags the new rate for seconds, rising: below what is sent,
    /// but no congestion. Only a falling estimate is.
    @Test func aRisingEstimateBelowWhatIsSentIsNoCongestion() {
        var p = WHEPRungPolicy()
        for (i, bps) in [700_000, 760_000, 820_000, 880_000, 950_000].enumerated() {
            #expect(p.estimate(bitsPerSecond: bps, sent: 1_400_000, now: at(Double(i)), current: 0, needs: Self.needs) == .stay)
        }
        #expect(p.estimate(bitsPerSecond: 800_000, sent: 1_400_000, now: at(5), current: 0, needs: Self.needs) == .stay)
        #expect(p.estimate(bitsPerSecond: 790_000, sent: 1_400_000, now: at(6), current: 0, needs: Self.needs) == .move(to: 2))
    }

    @Test func lossStillCountsAndBlocksTheWayUp() {
        var p = WHEPRungPolicy()
        #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(0), current: 0, needs: Self.needs) == .stay)
        // 20 % loss twice moves one rung down whatever the estimate says.
        #expect(p.report(fractionLost: 51, rtt: nil, now: at(0.5), current: 0, count: 3, needs: Self.needs) == .stay)
        #expect(p.report(fractionLost: 51, rtt: nil, now: at(1.5), current: 0, count: 3, needs: Self.needs) == .move(to: 1))
        // After loss the way up waits for a clean report (3 s); a 3 % report at 8 s closes it
        // until the next clean one (10 s).
        var ups: [Int] = []
        for s in 2...25 {
            let lost: UInt8? = s == 3 || s == 10 ? 0 : s == 8 ? 8 : nil
            if let lost { #expect(p.report(fractionLost: lost, rtt: nil, now: at(Double(s)), current: 1, count: 3, needs: Self.needs) == .stay) }
            if p.estimate(bitsPerSecond: 5_000_000, now: at(Double(s)), current: ups.isEmpty ? 1 : 0, needs: Self.needs) != .stay {
                ups.append(s)
            }
        }
        #expect(ups == [20]) // open again from 10 s, hold 10 s
    }

    @Test func aGrowingRoundTripBlocksTheWayUp() {
        var p = WHEPRungPolicy()
        #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(0), current: 1, needs: Self.needs) == .stay)
        #expect(p.report(fractionLost: 0, rtt: .milliseconds(20), now: at(1), current: 1, count: 3, needs: Self.needs) == .stay)
        // 300 ms against a 20 ms floor: a queue is building on the path; not the time to send more.
        #expect(p.report(fractionLost: 0, rtt: .milliseconds(300), now: at(2), current: 1, count: 3, needs: Self.needs) == .stay)
        for s in 2...10 {
            #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(Double(s)), current: 1, needs: Self.needs) == .stay)
        }
        #expect(p.report(fractionLost: 0, rtt: .milliseconds(30), now: at(11), current: 1, count: 3, needs: Self.needs) == .stay)
        for s in 12...16 {
            #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(Double(s)), current: 1, needs: Self.needs) == .stay)
        }
        #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(17), current: 1, needs: Self.needs) == .move(to: 0))
        #expect(p.minRTT == .milliseconds(20))
    }

    @Test func aFailedProbeDoublesTheHoldAndALastingMoveUpHalvesIt() {
        var p = WHEPRungPolicy()
        for s in 0..<5 { #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(Double(s)), current: 1, needs: Self.needs) == .stay) }
        #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(5), current: 1, needs: Self.needs) == .move(to: 0))
        // 720p does not fit after all: back down, and the next try waits twice as long.
        #expect(p.estimate(bitsPerSecond: 2_000_000, now: at(6), current: 0, needs: Self.needs) == .stay)
        #expect(p.estimate(bitsPerSecond: 2_000_000, now: at(7), current: 0, needs: Self.needs) == .move(to: 1))
        #expect(p.hold == .seconds(10))
        for s in 8..<18 { #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(Double(s)), current: 1, needs: Self.needs) == .stay) }
        #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(18), current: 1, needs: Self.needs) == .move(to: 0))
        // This one lasts past 30 s: the hold shrinks back.
        #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(40), current: 0, needs: Self.needs) == .stay)
        #expect(p.hold == .seconds(10))
        #expect(p.estimate(bitsPerSecond: 5_000_000, now: at(49), current: 0, needs: Self.needs) == .stay)
        #expect(p.hold == .seconds(5))
    }

    /// No estimate (the viewer did not offer goog-remb, or the ladder's bitrates are unknown):
    /// loss alone moves the viewer, as before REMB.
    @Test func withoutAnEstimateLossMovesDownAndACleanPathMovesBackUpLater() {
        var p = WHEPRungPolicy()
        func report(_ lost: UInt8, _ s: Double, _ current: Int) -> WHEPRungPolicy.Decision {
            p.report(fractionLost: lost, rtt: nil, now: at(s), current: current, count: 3, needs: nil)
        }
        #expect(report(51, 0, 0) == .stay)
        #expect(report(51, 1, 0) == .move(to: 1))
        // Lossy, clean, lossy: not two in a row.
        #expect(report(51, 2, 1) == .stay)
        #expect(report(0, 3, 1) == .stay)
        #expect(report(51, 4, 1) == .stay)
        // Clean from 5 s: up after 10 s, not before.
        #expect(report(0, 5, 1) == .stay)
        #expect(report(0, 14, 1) == .stay)
        #expect(report(0, 15, 1) == .move(to: 0))
        // The next move down doubles the wait: 20 s.
        #expect(report(40, 16, 0) == .stay)
        #expect(report(40, 17, 0) == .move(to: 1))
        #expect(report(0, 18, 1) == .stay)
        #expect(report(0, 37, 1) == .stay)
        #expect(report(0, 38, 1) == .move(to: 0))
        // The bottom rung cannot go lower; a little loss (3 %) is neither clean nor lossy.
        #expect(report(90, 39, 2) == .stay)
        #expect(report(90, 40, 2) == .stay)
        #expect(report(8, 41, 1) == .stay)
        #expect(report(8, 90, 1) == .stay)
        // Estimates with unknown rung bitrates move nothing.
        #expect(p.estimate(bitsPerSecond: 1, now: at(91), current: 0, needs: nil) == .stay)
        #expect(p.estimate(bitsPerSecond: 1, now: at(92), current: 0, needs: nil) == .stay)
    }

    @Test func whenEstimatesStopCleanReportsOpenTheWayUp() {
        var p = WHEPRungPolicy()
        #expect(p.estimate(bitsPerSecond: 1_500_000, now: at(0), current: 1, needs: Self.needs) == .stay)
        for s in 1...10 {
            #expect(p.report(fractionLost: 0, rtt: nil, now: at(Double(s)), current: 1, count: 3, needs: Self.needs) == .stay)
        }
        // Estimates stale from 6 s: clean reports have kept the way open since then.
        #expect(p.report(fractionLost: 0, rtt: nil, now: at(11), current: 1, count: 3, needs: Self.needs) == .move(to: 0))
    }
}

/// NACK answers within a budget: a quarter of what the viewer is sent, half a second's worth.
@Suite struct RetransmissionBudgetTests {
    @Test func aBurstOfNACKsIsAnsweredOnlyUpToTheBudget() {
        var b = RetransmissionBudget()
        let t0 = ContinuousClock.now
        // Sent 2 Mbit/s: 500 kbit/s for resends, 31,250 bytes at once; 1,200-byte packets: 26.
        var resent = 0
        for _ in 0..<200 where b.allow(bytes: 1200, sentBitsPerSecond: 2_000_000, now: t0) { resent += 1 }
        #expect(resent == 26 && b.refused == 200 - 26)
        // 100 ms later: 6,250 bytes more (plus the 250 left over): 5 packets.
        resent = 0
        for _ in 0..<50 where b.allow(bytes: 1200, sentBitsPerSecond: 2_000_000, now: t0 + .milliseconds(100)) { resent += 1 }
        #expect(resent == 5)
        // Nothing measured yet: the 64 kbit/s floor (4,000 bytes at once).
        var fresh = RetransmissionBudget()
        resent = 0
        for _ in 0..<10 where fresh.allow(bytes: 1000, sentBitsPerSecond: nil, now: t0) { resent += 1 }
        #expect(resent == 4)
    }
}
