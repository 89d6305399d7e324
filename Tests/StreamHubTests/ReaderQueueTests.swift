import MediaCore
import NIOCore
import Synchronization
import Testing
@testable import StreamHub

private func unit(_ n: Int64, key: Bool = false, track: TrackKind = .video) -> MediaUnit {
    MediaUnit(track: track, pts: n, dts: n, timebase: .milliseconds, isKeyframe: key,
              data: ByteBuffer(bytes: [1, 2, 3]), ingestWallClock: 0)
}

private func pts(_ e: HubEvent?) -> Int64? {
    if case .unit(let u) = e { return u.pts }
    return nil
}

@Suite struct ReaderQueueTests {
    @Test func deliversInOrder() {
        let q = ReaderQueue(capacity: 8)
        q.push(.unit(unit(1, key: true)))
        q.push(.unit(unit(2)))
        #expect(pts(q.next(timeout: .zero)) == 1)
        #expect(pts(q.next(timeout: .zero)) == 2)
        #expect(q.next(timeout: .milliseconds(1)) == nil)
    }

    @Test func overflowDropsUntilNextKeyframeAndCounts() {
        let q = ReaderQueue(capacity: 4)
        q.push(.unit(unit(0, key: true)))
        for i in 1...3 { q.push(.unit(unit(Int64(i)))) }
        q.push(.unit(unit(4)))        // overflow: queue emptied of media, wait for keyframe
        q.push(.unit(unit(5)))        // skipped
        q.push(.unit(unit(6, key: true)))
        q.push(.unit(unit(7)))
        #expect(pts(q.next(timeout: .zero)) == 6)
        #expect(pts(q.next(timeout: .zero)) == 7)
        #expect(q.dropped == 6)
        #expect(q.count == 0)
    }

    @Test func controlEventsSurviveOverflow() {
        let q = ReaderQueue(capacity: 2)
        q.push(.discontinuity)
        q.push(.unit(unit(1, key: true)))
        q.push(.unit(unit(2)))
        if case .discontinuity = q.next(timeout: .zero) {} else { Issue.record("discontinuity lost") }
    }

    @Test func memoryStaysBoundedUnderAStalledReader() {
        let q = ReaderQueue(capacity: 16)
        for i in 0..<10_000 { q.push(.unit(unit(Int64(i), key: i % 30 == 0))) }
        #expect(q.count <= 16)
        #expect(q.dropped > 9_000)
    }

    @Test func asyncReaderWakesOnPushAndOnClose() async {
        let q = ReaderQueue(capacity: 4)
        async let first = q.next()
        try? await Task.sleep(for: .milliseconds(10))
        q.push(.unit(unit(9, key: true)))
        #expect(pts(await first) == 9)
        async let second = q.next()
        try? await Task.sleep(for: .milliseconds(10))
        q.close()
        #expect(await second == nil)
    }

    @Test func batchReaderIsToldOnceThenDrainsEverything() {
        let q = ReaderQueue(capacity: 8)
        let calls = Counter()
        q.notifyWhenReady { calls.add() }
        #expect(calls.value == 0, "nothing queued yet")
        q.push(.unit(unit(1, key: true)))
        q.push(.unit(unit(2)))
        #expect(calls.value == 1, "one wake-up for the batch, not one per event")
        let (events, ended) = q.drain(max: 10)
        #expect(events.map(pts) == [1, 2])
        #expect(!ended)
        q.push(.unit(unit(3)))
        q.notifyWhenReady { calls.add() } // something is queued: told at once
        #expect(calls.value == 2)
        #expect(q.drain(max: 1).events.map(pts) == [3])
        q.notifyWhenReady { calls.add() }
        q.close()
        #expect(calls.value == 3, "closing wakes the reader")
        #expect(q.drain(max: 10).ended)
    }

    @Test func controlEventFloodIsCoalescedLatestWins() {
        let q = ReaderQueue(capacity: 8)
        for i in 0..<100_000 { q.push(.metadata(["n": "\(i)"])) }
        q.push(.tracks([]))
        q.push(.tracks([]))
        #expect(q.count == 2)
        if case .metadata(let m) = q.next(timeout: .zero) { #expect(m["n"] == "99999") } else { Issue.record("metadata lost") }
    }

    @Test func interleavedControlAndMediaStayBoundedInCount() {
        let q = ReaderQueue(capacity: 16)
        for i in 0..<10_000 {
            q.push(.metadata(["n": "\(i)"]))
            q.push(.unit(unit(Int64(i), key: i % 30 == 0)))
        }
        #expect(q.count <= 16)
    }

    @Test func mediaIsBoundedInBytes() {
        let q = ReaderQueue(capacity: 1000, byteCapacity: 1 << 20)
        for i in 0..<100 {
            q.push(.unit(MediaUnit(track: .video, pts: Int64(i), dts: Int64(i), timebase: .milliseconds, isKeyframe: i % 10 == 0,
                                   data: ByteBuffer(repeating: 1, count: 100_000), ingestWallClock: 0)))
        }
        #expect(q.queuedBytes <= 1 << 20)
        #expect(q.dropped > 0)
    }

    final class Counter: Sendable {
        private let n = Atomic<Int>(0)
        func add() { n.add(1, ordering: .relaxed) }
        var value: Int { n.load(ordering: .relaxed) }
    }
}
