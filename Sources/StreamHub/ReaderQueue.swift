/// A bounded queue from one stream to one reader: a `HandOffQueue` with the reader's drop
/// policy (the publisher never waits; see `ReaderDropPolicy`).
public final class ReaderQueue: Sendable {
    public let capacity: Int
    public let byteCapacity: Int
    private let queue: HandOffQueue<ReaderDropPolicy>

    /// Bytes a reader may lag by default: above the hub's GOP cache (16 MiB), so a new reader
    /// starts at once.
    public static let defaultByteCapacity = 32 << 20

    public init(capacity: Int, byteCapacity: Int = ReaderQueue.defaultByteCapacity) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        queue = HandOffQueue(policy: ReaderDropPolicy(capacity: capacity, byteCapacity: byteCapacity))
    }

    /// Units lost to overflow since the queue was made.
    public var dropped: Int { queue.withPolicy { $0.dropped } }
    public var isClosed: Bool { queue.isClosed }
    public var count: Int { queue.count }
    /// Payload bytes queued (media and metadata).
    public var queuedBytes: Int { queue.withPolicy { $0.bytes } }

    /// Adds an event without blocking. Media is dropped up to the next keyframe when the reader
    /// is behind; a control event replaces a queued one of its kind right before it.
    public func push(_ event: HubEvent) { queue.push(event) }

    /// Ends the queue; readers get the events already queued, then nil.
    public func close() { queue.close() }

    /// For event-loop consumers that write in batches: calls `ready` once, as soon as an event
    /// is queued or the queue is closed (at once if either is already so), on the thread that
    /// made it so. Then `drain` takes what is there.
    public func notifyWhenReady(_ ready: @escaping @Sendable () -> Void) { queue.notifyWhenReady(ready) }

    /// Up to `max` queued events, without waiting; `ended` once the queue is closed and drained.
    public func drain(max: Int) -> (events: [HubEvent], ended: Bool) {
        let (events, ended) = queue.drain(max: max)
        return (events, ended)
    }

    /// Blocking read for codec threads: the next event, or nil when closed and drained or
    /// when `timeout` passes with nothing queued.
    public func next(timeout: Duration) -> HubEvent? { queue.pop(timeout: timeout) }

    /// Async read for event-loop or task consumers: the next event, or nil once closed and drained.
    public func next() async -> HubEvent? { await queue.next() }
}
