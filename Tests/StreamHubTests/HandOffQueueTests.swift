import Foundation
import NIOCore
import Synchronization
import Testing
@testable import StreamHub

/// A bounded policy for the tests: `full` decides what happens past `capacity`.
private struct Bounded: HandOffPolicy {
    let capacity: Int
    let full: HandOffAdmission
    var dropped = 0

    mutating func admit(_ element: Int, queue: inout CircularBuffer<Int>) -> HandOffAdmission {
        guard queue.count >= capacity else { return .append }
        if full == .drop { dropped += 1 }
        return full
    }

    mutating func removed(_ element: Int) {}
}

private final class Count: Sendable {
    private let n = Atomic<Int>(0)
    func add() { n.add(1, ordering: .relaxed) }
    var value: Int { n.load(ordering: .relaxed) }
}

@Suite struct HandOffQueueTests {
    @Test func dropPolicyBoundsTheQueueAndCounts() {
        let q = HandOffQueue(policy: Bounded(capacity: 3, full: .drop))
        for i in 0..<10 { q.push(i) }
        #expect(q.count == 3)
        #expect(q.withPolicy { $0.dropped } == 7)
        #expect(q.drain(max: 10).elements == [0, 1, 2])
    }

    @Test func waitPolicyBlocksTheProducerUntilTheConsumerTakes() async {
        let q = HandOffQueue(policy: Bounded(capacity: 1, full: .wait))
        q.push(1)
        let pushed = Count()
        let producer = Thread {
            q.push(2) // waits: the queue is full
            pushed.add()
        }
        producer.start()
        #expect(q.pop(timeout: .seconds(5)) == 1)
        #expect(q.pop(timeout: .seconds(5)) == 2, "the waiting producer got in once there was room")
        let deadline = Date().addingTimeInterval(10)
        while pushed.value == 0 && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(pushed.value == 1, "the producer returned")
    }

    @Test func closeWakesAWaitingProducerAndABlockedConsumer() async {
        let full = HandOffQueue(policy: Bounded(capacity: 1, full: .wait))
        full.push(1)
        let refused = Count()
        let producer = Thread { if !full.push(2) { refused.add() } }
        producer.start()
        let empty = HandOffQueue(policy: Bounded(capacity: 1, full: .drop))
        let consumerDone = Count()
        let consumer = Thread {
            if empty.pop(timeout: .seconds(60)) == nil { consumerDone.add() }
        }
        consumer.start()
        try? await Task.sleep(for: .milliseconds(50))
        full.close()
        empty.close()
        let deadline = Date().addingTimeInterval(10)
        while (refused.value == 0 || consumerDone.value == 0) && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        #expect(refused.value == 1, "a producer waiting on a closed queue is refused")
        #expect(consumerDone.value == 1, "a blocked consumer wakes with nil")
        let rest = full.drain(max: 5)
        #expect(rest.elements == [1] && rest.ended, "what was queued is still delivered")
    }

    @Test func timedPopReturnsNilWhenNothingCame() {
        let q = HandOffQueue(policy: Bounded(capacity: 1, full: .drop))
        #expect(q.pop(timeout: .milliseconds(20)) == nil)
        q.push(5)
        #expect(q.pop(timeout: .milliseconds(20)) == 5)
    }

    @Test func asyncConsumerGetsPushesDirectly() async {
        let q = HandOffQueue(policy: Bounded(capacity: 4, full: .drop))
        async let first = q.next()
        try? await Task.sleep(for: .milliseconds(10))
        q.push(7)
        #expect(await first == 7)
        #expect(q.count == 0)
    }
}
