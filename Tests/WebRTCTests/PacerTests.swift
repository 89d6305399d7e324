import Testing
import WebRTC

@Suite struct PacerTests {
    static let ms: UInt64 = 1_000_000

    @Test func keyframeBurstIsSpreadAtTheRate() {
        // 30 packets of 1200 bytes at 1.2 MB/s (9.6 Mbit/s) with a 4-packet burst: four leave at
        // once, then one every exactly 1 ms — zero jitter on the manual clock.
        let sizes = [Int](repeating: 1200, count: 30)
        let times = Pacer<Int>.schedule(sizes: sizes, start: 1000 * Self.ms, bytesPerSecond: 1_200_000, burstBytes: 4800)
        #expect(times.prefix(4).allSatisfy { $0 == 1000 * Self.ms })
        let gaps = zip(times.dropFirst(4), times.dropFirst(3)).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 == Self.ms })
        #expect(times.last == 1000 * Self.ms + 26 * Self.ms)
        // Never more than the burst within any window: bytes sent by t ≤ burst + rate × (t − start).
        for (i, t) in times.enumerated() {
            let sent = 1200 * (i + 1)
            #expect(Double(sent) <= 4800 + 1_200_000 * Double(t - 1000 * Self.ms) / 1e9)
        }
    }

    @Test func mixedSizesDepartWhenTheirTokensAreThere() {
        // 1000 B/s = 1 byte per ms; burst 100 bytes.
        let times = Pacer<Int>.schedule(sizes: [100, 50, 10, 200], start: 0, bytesPerSecond: 1000, burstBytes: 100)
        // 100 at 0 (bucket empties); 50 at 50 ms; 10 at 60 ms; 200 (> bucket) when the bucket is full: 160 ms.
        #expect(times == [0, 50 * Self.ms, 60 * Self.ms, 160 * Self.ms])
    }

    @Test func idleTimeRefillsOnlyUpToTheBurst() {
        var pacer = Pacer<Int>(bytesPerSecond: 1000, burstBytes: 300)
        for i in 0..<5 {
            let ok = pacer.enqueue(i, size: 100, now: 10_000 * Self.ms)
            #expect(ok)
        }
        // After 10 s idle the bucket holds 300 bytes, not 10 000: three go now.
        do { let sent = pacer.poll(now: 10_000 * Self.ms); #expect(sent == [0, 1, 2]) }
        #expect(pacer.nextSendTime(now: 10_000 * Self.ms) == 10_100 * Self.ms)
        do { let sent = pacer.poll(now: 10_099 * Self.ms); #expect(sent == []) }
        do { let sent = pacer.poll(now: 10_100 * Self.ms); #expect(sent == [3]) }
        do { let sent = pacer.poll(now: 10_200 * Self.ms); #expect(sent == [4]) }
        #expect(pacer.nextSendTime(now: 10_200 * Self.ms) == nil)
    }

    @Test func refusesWhatWouldQueueTooLong() {
        // 100 ms of queue at most: at 10 kB/s with a 1 kB burst, 2 kB may wait.
        var pacer = Pacer<Int>(bytesPerSecond: 10_000, burstBytes: 1000, maxQueuedPackets: 1000, maxQueueDelayNanos: 100 * Self.ms)
        var accepted = 0
        for i in 0..<10 {
            let ok = pacer.enqueue(i, size: 500, now: 0)
            if ok { accepted += 1 }
        }
        #expect(accepted == 4)
        #expect(pacer.dropped == 6)
        var bounded = Pacer<Int>(bytesPerSecond: 1 << 30, burstBytes: 1 << 20, maxQueuedPackets: 3)
        for i in 0..<5 { _ = bounded.enqueue(i, size: 10, now: 0) }
        #expect(bounded.queuedPackets == 3)
        #expect(bounded.dropped == 2)
    }

    @Test func rateChangeAppliesToWhatIsQueued() {
        var pacer = Pacer<Int>(bytesPerSecond: 1000, burstBytes: 100)
        _ = pacer.enqueue(0, size: 100, now: 0)
        _ = pacer.enqueue(1, size: 100, now: 0)
        do { let sent = pacer.poll(now: 0); #expect(sent == [0]) }
        pacer.setRate(bytesPerSecond: 2000, now: 0)
        #expect(pacer.nextSendTime(now: 0) == 50 * Self.ms)
    }
}
