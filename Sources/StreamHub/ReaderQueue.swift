import Foundation
import MediaCore
import NIOCore

/// A bounded queue from one stream to one reader. The publisher never waits: when the queue
/// is full (in events or in bytes) the reader loses media up to the next video keyframe, and
/// the loss is counted. Control events are coalesced (the latest tracks and metadata win), so
/// a flood of them is bounded too.
///
/// @unchecked Sendable: every stored property is guarded by `condition`.
public final class ReaderQueue: @unchecked Sendable {
    public let capacity: Int
    public let byteCapacity: Int
    private let condition = NSCondition()
    private var events = CircularBuffer<HubEvent>()
    private var bytes = 0
    private var closed = false
    /// Set after an overflow: units are skipped until a video keyframe arrives.
    private var waitingForKeyframe = false
    private var continuation: CheckedContinuation<HubEvent?, Never>?
    /// A batch consumer's wake-up (see `notifyWhenReady`); called once, then cleared.
    private var onReady: (@Sendable () -> Void)?
    private var _dropped = 0

    /// Bytes a reader may lag by default: above the hub's GOP cache (16 MiB), so a new reader
    /// starts at once.
    public static let defaultByteCapacity = 32 << 20

    public init(capacity: Int, byteCapacity: Int = ReaderQueue.defaultByteCapacity) {
        precondition(capacity > 0 && byteCapacity > 0)
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Units lost to overflow since the queue was made.
    public var dropped: Int { condition.withLock { _dropped } }
    public var isClosed: Bool { condition.withLock { closed } }
    public var count: Int { condition.withLock { events.count } }
    /// Payload bytes queued (media and metadata).
    public var queuedBytes: Int { condition.withLock { bytes } }

    /// Adds an event without blocking. Media is dropped up to the next keyframe when the reader
    /// is behind; a control event replaces a queued one of its kind right before it.
    public func push(_ event: HubEvent) {
        condition.lock()
        if closed { condition.unlock(); return }
        let size = Self.size(of: event)
        if case .unit(let unit) = event {
            let keyframe = unit.track == .video && unit.isKeyframe
            if waitingForKeyframe {
                guard keyframe else {
                    _dropped += 1
                    condition.unlock()
                    return
                }
                waitingForKeyframe = false
            }
            if events.count >= capacity || bytes + size > byteCapacity {
                overflowLocked()
                _dropped += 1
                if !keyframe {
                    waitingForKeyframe = true
                    condition.unlock()
                    return
                }
            }
        } else if let last = events.last, Self.sameKind(last, event) {
            // Back-to-back control events of one kind: only the latest matters.
            bytes -= Self.size(of: events.removeLast())
        } else if events.count >= capacity {
            overflowLocked()
        }
        if let waiter = continuation {
            continuation = nil
            condition.unlock()
            waiter.resume(returning: event)
            return
        }
        events.append(event)
        bytes += size
        condition.signal()
        let ready = onReady
        onReady = nil
        condition.unlock()
        ready?()
    }

    /// Drops every queued unit (their GOP is now broken) and keeps one of each control event,
    /// the latest: discontinuity, then tracks, then metadata.
    private func overflowLocked() {
        var discontinuity = false
        var tracks: HubEvent?
        var metadata: HubEvent?
        var units = 0
        for event in events {
            switch event {
            case .unit: units += 1
            case .discontinuity: discontinuity = true
            case .tracks: tracks = event
            case .metadata: metadata = event
            }
        }
        _dropped += units
        events.removeAll(keepingCapacity: true)
        bytes = 0
        for event in [discontinuity ? HubEvent.discontinuity : nil, tracks, metadata].compactMap({ $0 }) {
            events.append(event)
            bytes += Self.size(of: event)
        }
    }

    private static func sameKind(_ a: HubEvent, _ b: HubEvent) -> Bool {
        switch (a, b) {
        case (.tracks, .tracks), (.metadata, .metadata), (.discontinuity, .discontinuity): true
        default: false
        }
    }

    private static func size(of event: HubEvent) -> Int {
        switch event {
        case .unit(let unit): unit.data.readableBytes
        case .metadata(let meta): meta.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        case .tracks, .discontinuity: 0
        }
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
        if !events.isEmpty || closed {
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
        let n = min(max, events.count)
        var out: [HubEvent] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(popLocked()) }
        return (out, closed && events.isEmpty)
    }

    /// Blocking read for codec threads: the next event, or nil when closed and drained or
    /// when `timeout` passes with nothing queued.
    public func next(timeout: Duration) -> HubEvent? {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while events.isEmpty {
            if closed { return nil }
            if !condition.wait(until: deadline) { return nil }
        }
        return popLocked()
    }

    /// Async read for event-loop or task consumers: the next event, or nil once closed and drained.
    public func next() async -> HubEvent? {
        await withCheckedContinuation { (c: CheckedContinuation<HubEvent?, Never>) in
            condition.lock()
            if !events.isEmpty {
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
        let e = events.removeFirst()
        bytes -= Self.size(of: e)
        return e
    }
}
