import NIOCore
import StreamHub

/// What a codec queue may do with an item when full.
protocol CodecQueueItem: Sendable {
    /// Must not be lost: when the queue is full it evicts the newest expendable item instead.
    var isPrecious: Bool { get }
    /// May be evicted to make room for a precious item.
    var isExpendable: Bool { get }
}

/// The `HandOffQueue` policy between codec threads: a capacity, and either the producer waits
/// for room (`.block`, offline transcodes) or a full queue loses the newest item — a precious
/// one (keyframe, track change) evicting the newest expendable one (live).
struct CodecQueuePolicy<Element: CodecQueueItem>: HandOffPolicy {
    let capacity: Int
    let blocking: Bool
    /// Items dropped or evicted since the start.
    private(set) var lost = 0
    /// Most items ever queued at once.
    private(set) var highWater = 0

    init(capacity: Int, blocking: Bool) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.blocking = blocking
    }

    mutating func admit(_ element: Element, queue: inout CircularBuffer<Element>) -> HandOffAdmission {
        if queue.count < capacity {
            highWater = max(highWater, queue.count + 1)
            return .append
        }
        if blocking { return .wait }
        lost += 1
        guard element.isPrecious, let victim = queue.lastIndex(where: { $0.isExpendable }) else { return .drop }
        queue.remove(at: victim)
        return .append
    }

    mutating func removed(_ element: Element) {}
}

typealias CodecQueue<Element: CodecQueueItem> = HandOffQueue<CodecQueuePolicy<Element>>

extension HandOffQueue {
    /// Pushes `element` and returns how many items that cost (0, or 1 dropped or evicted).
    /// One producer per codec queue, so the policy's counter before and after is this push's.
    func offer<E>(_ element: E) -> Int where Policy == CodecQueuePolicy<E> {
        let before = withPolicy { $0.lost }
        guard push(element) else { return 1 } // dropped, or the queue is closed
        return withPolicy { $0.lost } - before // 1 if it evicted a queued item
    }
}

extension RungFrame: CodecQueueItem {
    var isPrecious: Bool { isKeyframe }
    var isExpendable: Bool { !isKeyframe }
}

extension AudioInput: CodecQueueItem {
    /// A track change must reach the audio thread; units may be lost.
    var isPrecious: Bool { if case .track = self { true } else { false } }
    var isExpendable: Bool { if case .unit = self { true } else { false } }
}

extension HubEvent: CodecQueueItem {
    // Only used with the blocking policy (offline input): nothing is lost.
    var isPrecious: Bool { true }
    var isExpendable: Bool { false }
}
