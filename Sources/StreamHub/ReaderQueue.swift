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

    /// What waits in the queue, for a send-delay controller: the dts (ms) of the oldest and
    /// newest queued units (nil when none is queued) and the payload bytes.
    public var backlog: (oldestMillis: Int64?, newestMillis: Int64?, bytes: Int) {
        queue.withQueue { policy, buffer in
            var oldest: Int64?
            for event in buffer {
                if case .unit(let unit) = event {
                    oldest = unit.timebase.rescale(unit.dts, to: .milliseconds)
                    break
                }
            }
            return (oldest, oldest == nil ? nil : policy.newestMillis, policy.bytes)
        }
    }

    /// Dts (ms) of the newest unit ever queued (nil before the first).
    public var newestMillis: Int64? { queue.withPolicy { $0.newestMillis } }

    /// Drops the queued units and continues at the next video keyframe (control events stay):
    /// a player that fell behind catches up. Returns the units dropped.
    @discardableResult
    public func skipToKeyframe() -> Int { queue.withQueue { policy, buffer in policy.skipToKeyframe(&buffer) } }

    /// Units dropped by `skipToKeyframe`.
    public var skipped: Int { queue.withPolicy { $0.skipped } }

    /// Units the reader never got: overflow and skips.
    public var lost: Int { queue.withPolicy { $0.dropped + $0.skipped } }

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
