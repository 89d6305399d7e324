import Foundation
import MediaCore

/// A bounded queue from one stream to one reader. The publisher never waits: when the queue
/// is full the reader loses media up to the next video keyframe, and the loss is counted.
///
/// @unchecked Sendable: every stored property is guarded by `condition`.
public final class ReaderQueue: @unchecked Sendable {
    public let capacity: Int
    private let condition = NSCondition()
    private var events: [HubEvent] = []
    private var head = 0
    private var closed = false
    /// Set after an overflow: units are skipped until a video keyframe arrives.
    private var waitingForKeyframe = false
    private var continuation: CheckedContinuation<HubEvent?, Never>?
    /// A batch consumer's wake-up (see `notifyWhenReady`); called once, then cleared.
    private var onReady: (@Sendable () -> Void)?
    private var _dropped = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Units lost to overflow since the queue was made.
    public var dropped: Int { condition.withLock { _dropped } }
    public var isClosed: Bool { condition.withLock { closed } }
    public var count: Int { condition.withLock { events.count - head } }

    /// Adds an event without blocking. Control events (tracks, discontinuity, metadata) are
    /// never dropped; media is dropped up to the next keyframe when the reader is behind.
    public func push(_ event: HubEvent) {
        condition.lock()
        if closed { condition.unlock(); return }
        if case .unit(let unit) = event {
            if waitingForKeyframe {
                if unit.track == .video && unit.isKeyframe {
                    waitingForKeyframe = false
                } else {
                    _dropped += 1
                    condition.unlock()
                    return
                }
            }
            if events.count - head >= capacity {
                // Drop every queued unit (their GOP is now broken), keep control events.
                let before = events.count - head
                events = events[head...].filter { if case .unit = $0 { false } else { true } }
                head = 0
                _dropped += before - events.count + 1
                if !(unit.track == .video && unit.isKeyframe) {
                    waitingForKeyframe = true
                    condition.unlock()
                    return
                }
            }
        }
        if let waiter = continuation {
            continuation = nil
            condition.unlock()
            waiter.resume(returning: event)
            return
        }
        events.append(event)
        condition.signal()
        let ready = onReady
        onReady = nil
        condition.unlock()
        ready?()
    }

    /// Ends the queue; readers get the events already queued, then nil.
    public func close() {
        condition.lock()
        closed = true
        let waiter = continuation
        continuation = nil
        let ready = onReady
        onReady = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(returning: nil)
        ready?()
    }

    /// For event-loop consumers that write in batches: calls `ready` once, as soon as an event
    /// is queued or the queue is closed (at once if either is already so), on the thread that
    /// made it so. Then `drain` takes what is there.
    public func notifyWhenReady(_ ready: @escaping @Sendable () -> Void) {
        condition.lock()
        if head < events.count || closed {
            condition.unlock()
            ready()
            return
        }
        precondition(continuation == nil, "one consumer per ReaderQueue")
        onReady = ready
        condition.unlock()
    }

    /// Up to `max` queued events, without waiting; `ended` once the queue is closed and drained.
    public func drain(max: Int) -> (events: [HubEvent], ended: Bool) {
        condition.lock()
        defer { condition.unlock() }
        let n = min(max, events.count - head)
        let out = Array(events[head..<head + n])
        head += n
        compactLocked()
        return (out, closed && head == events.count)
    }

    /// Blocking read for codec threads: the next event, or nil when closed and drained or
    /// when `timeout` passes with nothing queued.
    public func next(timeout: Duration) -> HubEvent? {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while head == events.count {
            if closed { return nil }
            if !condition.wait(until: deadline) { return nil }
        }
        return popLocked()
    }

    /// Async read for event-loop or task consumers: the next event, or nil once closed and drained.
    public func next() async -> HubEvent? {
        await withCheckedContinuation { (c: CheckedContinuation<HubEvent?, Never>) in
            condition.lock()
            if head < events.count {
                let e = popLocked()
                condition.unlock()
                c.resume(returning: e)
            } else if closed {
                condition.unlock()
                c.resume(returning: nil)
            } else {
                precondition(continuation == nil && onReady == nil, "one consumer per ReaderQueue")
                continuation = c
                condition.unlock()
            }
        }
    }

    private func popLocked() -> HubEvent {
        let e = events[head]
        head += 1
        compactLocked()
        return e
    }

    /// Drops consumed events once they are most of the array (amortized O(1) per event).
    private func compactLocked() {
        if head > 256 && head * 2 > events.count {
            events.removeFirst(head)
            head = 0
        }
    }
}
