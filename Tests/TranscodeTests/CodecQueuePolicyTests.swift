import NIOCore
import StreamHub
import Testing
@testable import Transcode

/// The codec threads' hand-off policy on its own: what a full queue keeps and loses.
@Suite struct CodecQueuePolicyTests {
    struct Item: CodecQueueItem, Equatable {
        var id: Int
        var key: Bool
        var isPrecious: Bool { key }
        var isExpendable: Bool { !key }
    }

    @Test func liveQueueDropsNewestAndKeyframesEvictTheNewestExpendable() {
        let queue = HandOffQueue(policy: CodecQueuePolicy<Item>(capacity: 2, blocking: false))
        #expect(queue.offer(Item(id: 1, key: true)) == 0)
        #expect(queue.offer(Item(id: 2, key: false)) == 0)
        #expect(queue.offer(Item(id: 3, key: false)) == 1) // full: the newcomer is lost
        #expect(queue.offer(Item(id: 4, key: true)) == 1)  // a keyframe evicts item 2
        #expect(queue.offer(Item(id: 5, key: true)) == 1)  // nothing expendable left: lost
        #expect(queue.withPolicy { $0.lost } == 3 && queue.withPolicy { $0.highWater } == 2)
        queue.close()
        var ids: [Int] = []
        while let item = queue.pop() { ids.append(item.id) }
        #expect(ids == [1, 4])
    }

    @Test func blockingQueueWaitsForRoomAndLosesNothing() async {
        let queue = HandOffQueue(policy: CodecQueuePolicy<Item>(capacity: 1, blocking: true))
        let producer = Task.detached {
            (0..<50).map { queue.offer(Item(id: $0, key: false)) }.reduce(0, +)
        }
        var ids: [Int] = []
        while ids.count < 50, let item = queue.pop() { ids.append(item.id) }
        #expect(await producer.value == 0)
        #expect(ids == Array(0..<50))
        queue.close()
        #expect(queue.offer(Item(id: 99, key: false)) == 1) // closed: refused
    }
}
