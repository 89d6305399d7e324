import LinkShaper
import Testing

/// The shaper on a manual clock: every time below is the test's own number, no waiting.
@Suite struct LinkShaperTests {
    static func config(mbps: Double? = 1, queueMs: Double = 1000, delayMs: Double = 0) -> LinkShaperConfiguration {
        var c = LinkShaperConfiguration()
        if let mbps { c.schedule = .constant(bitsPerSecond: mbps * 1_000_000) }
        c.queueSeconds = queueMs / 1000
        c.delay = delayMs / 1000
        return c
    }

    static func arrival(_ v: ShaperVerdict) -> Double? {
        if case let .deliver(arrives, _) = v { return arrives }
        return nil
    }

    /// 1250-byte packets are 10 ms each at 1 Mbit/s; back to back they queue; 50 ms of propagation.
    @Test func rateAndDelay() throws {
        var shaper = LinkShaper(Self.config(delayMs: 50))
        let times = (0..<3).map { _ in Self.arrival(shaper.offer(bytes: 1250, at: 0)) }
        #expect(close(try #require(times[0]), 0.06))
        #expect(close(try #require(times[1]), 0.07))
        #expect(close(try #require(times[2]), 0.08))
        #expect(close(shaper.queueDelay(at: 0.015), 0.015))
        #expect(close(shaper.backlogBits(at: 0.015), 15_000))
        // After an idle second the unused capacity is gone: 10 ms of sending again.
        #expect(close(try #require(Self.arrival(shaper.offer(bytes: 1250, at: 1))), 1.06))
    }

    /// 100 ms at 1 Mbit/s = 12 500 bytes = 10 packets; the 11th is dropped until the queue drains.
    @Test func dropTailQueueSizedInMillisecondsAtTheRate() {
        var shaper = LinkShaper(Self.config(queueMs: 100))
        let first = (0..<15).map { _ in shaper.offer(bytes: 1250, at: 0) }
        #expect(first.prefix(10).allSatisfy { Self.arrival($0) != nil })
        #expect(first.suffix(5).allSatisfy { $0 == .queueFull })
        // At 50 ms five have left: five fit again, not six.
        let later = (0..<6).map { _ in shaper.offer(bytes: 1250, at: 0.05) }
        #expect(later.prefix(5).allSatisfy { Self.arrival($0) != nil })
        #expect(later[5] == .queueFull)
        #expect(close(shaper.admissionTime(bytes: 1250, after: 0.05), 0.06))
    }

    /// The queue follows the current rate: 2.5 → 0.6 Mbit/s shrinks it from 312 500 to 75 000 bytes.
    @Test func queueLimitFollowsTheSchedule() throws {
        var c = LinkShaperConfiguration()
        c.schedule = try #require(LinkSchedule.steps([(2_500_000, 10), (600_000, 10)]))
        let shaper = LinkShaper(c)
        #expect(shaper.queueLimitBits(at: 5) == 2_500_000)
        #expect(shaper.queueLimitBits(at: 15) == 600_000)
        c.schedule = try #require(LinkSchedule.steps([(1000, 1)]))
        #expect(LinkShaper(c).queueLimitBits(at: 0) == 3000 * 8, "never below two packets")
    }

    /// Mahimahi repeats: two packets at 1 ms, one at 3 ms, one at 4 ms, then the loop (5, 5, 7 ms).
    @Test func mahimahiTraceTimesEachPacket() throws {
        var c = LinkShaperConfiguration()
        c.schedule = try LinkSchedule.parse(trace: "1\n1\n3\n4\n")
        var shaper = LinkShaper(c)
        let leaves = (0..<7).map { _ -> Double? in
            if case let .deliver(_, leaves) = shaper.offer(bytes: 1500, at: 0) { return leaves }
            return nil
        }
        #expect(leaves == [0.001, 0.001, 0.003, 0.004, 0.005, 0.005, 0.007])
    }

    /// SplitMix64's published first outputs for seed 0, then a fixed loss pattern for one seed.
    @Test func seededLossIsReproducible() {
        var g = SeededGenerator(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.next() == 0x6E78_9E6A_A1B9_65F4)

        var c = Self.config(mbps: nil)
        c.loss = 0.3
        c.seed = 42
        func pattern(_ c: LinkShaperConfiguration, count: Int) -> [Bool] {
            var shaper = LinkShaper(c)
            return (0..<count).map { i in shaper.offer(bytes: 100, at: Double(i)) == .lost(leavesQueue: Double(i)) }
        }
        let a = pattern(c, count: 10_000)
        #expect(a == pattern(c, count: 10_000))
        var other = c
        other.seed = 43
        #expect(a != pattern(other, count: 10_000))
        // 30 % of 10 000 for this seed (a fixed sequence, not a tolerance on chance).
        let lost = a.filter { $0 }.count
        #expect((2850...3150).contains(lost), "\(lost)")
        // The first outcomes, computed independently (SplitMix64 in Python, draw < 0.3).
        #expect(a.prefix(16).map { $0 ? 1 : 0 } == [0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    }

    @Test func gilbertElliottLosesInBursts() {
        // Always switch: bad, good, bad, good...
        var flip = GilbertElliott(pGoodToBad: 1, pBadToGood: 1)
        #expect((0..<6).map { _ in flip.step(draw: 0.5) } == [true, false, true, false, true, false])

        var c = Self.config(mbps: nil)
        c.burstLoss = GilbertElliott(pGoodToBad: 0.01, pBadToGood: 0.25)
        c.seed = 7
        var shaper = LinkShaper(c)
        var lost = 0, bursts = 0, previous = false
        for i in 0..<100_000 {
            let isLost = shaper.offer(bytes: 100, at: Double(i)) != .deliver(arrives: Double(i), leavesQueue: Double(i))
            if isLost { lost += 1 }
            if isLost && !previous { bursts += 1 }
            previous = isLost
        }
        // Long-run loss p/(p+r) = 3.85 %, mean burst 1/r = 4 packets.
        #expect((3400...4300).contains(lost), "\(lost)")
        let meanBurst = Double(lost) / Double(bursts)
        #expect(meanBurst > 3 && meanBurst < 5, "\(meanBurst)")
    }

    /// A byte stream keeps order whatever the jitter; datagrams may be reordered.
    @Test func jitterReordersDatagramsButNotAStream() {
        var c = Self.config(mbps: nil, delayMs: 50)
        c.jitter = 0.03
        var datagrams = LinkShaper(c)
        let d = (0..<200).compactMap { Self.arrival(datagrams.offer(bytes: 100, at: Double($0) * 0.001)) }
        #expect(d.count == 200)
        #expect(zip(d, d.dropFirst()).contains { $0 > $1 }, "some datagram overtakes")
        #expect(d.allSatisfy { $0 >= 0 })

        c.streamRetransmitDelay = 0.2
        var stream = LinkShaper(c)
        let s = (0..<200).compactMap { Self.arrival(stream.offer(bytes: 100, at: Double($0) * 0.001)) }
        #expect(s.count == 200)
        #expect(zip(s, s.dropFirst()).allSatisfy { $0 <= $1 })
    }

    /// A byte stream cannot lose bytes: a lost segment comes one retransmission timeout late
    /// and holds back what follows.
    @Test func streamLossBecomesRetransmissionDelay() throws {
        var c = Self.config(delayMs: 20)
        c.streamRetransmitDelay = 0.2
        c.burstLoss = GilbertElliott(pGoodToBad: 1, pBadToGood: 1) // lose every other segment
        var shaper = LinkShaper(c)
        let a = try #require(Self.arrival(shaper.offer(bytes: 1250, at: 0)))
        let b = try #require(Self.arrival(shaper.offer(bytes: 1250, at: 0)))
        let c2 = try #require(Self.arrival(shaper.offer(bytes: 1250, at: 0)))
        #expect(close(a, 0.01 + 0.02 + 0.2))
        #expect(close(b, a), "held behind the lost one")
        #expect(close(c2, 0.03 + 0.02 + 0.2))
        #expect(shaper.retransmissions == 2)
    }

    @Test func unlimitedLinkOnlyDelays() throws {
        var shaper = LinkShaper(Self.config(mbps: nil, delayMs: 30))
        for i in 0..<100 {
            #expect(close(try #require(Self.arrival(shaper.offer(bytes: 65_000, at: Double(i) * 0.0001))), Double(i) * 0.0001 + 0.03))
        }
        #expect(shaper.backlogBits(at: 0.01) == 0)
    }

    @Test func meterReportsEachIntervalAndTheRun() {
        var shaper = LinkShaper(Self.config(queueMs: 100))
        var meter = LinkMeter(direction: "up", schedule: shaper.schedule, start: 0)
        for _ in 0..<12 { meter.record(shaper.offer(bytes: 1250, at: 0), bytes: 1250, at: 0) }
        meter.delivered(bytes: 12_500)
        let first = meter.sample(at: 1, backlogBits: shaper.backlogBits(at: 1))
        #expect(first.dir == "up" && first.t == 1)
        #expect(first.deliveredMbps == 0.1 && first.offeredMbps == 0.12 && first.capacityMbps == 1)
        #expect(first.drops == 2 && first.lost == 0)
        #expect(first.queueDelayMs == 55 && first.queueDelayMaxMs == 100)
        let second = meter.sample(at: 2, backlogBits: 0)
        #expect(second.deliveredMbps == 0 && second.drops == 0 && second.queueDelayMs == 0)
        let summary = meter.summary(at: 2)
        #expect(summary.deliveredBytes == 12_500 && summary.packets == 10 && summary.drops == 2)
        #expect(summary.deliveredMbps == 0.05 && summary.capacityMbps == 1)
    }
}
