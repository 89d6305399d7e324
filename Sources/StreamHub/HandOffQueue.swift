import Dispatch
import NIOCore
import Synchronization

/// The one hand-off between threads: a bounded FIFO (NIO's `CircularBuffer` under a lock)
/// whose `Policy` decides what happens when it is full. One consumer, any number of
/// producers; the consumer reads blocking (codec threads), async (tasks) or in batches after
/// a wake-up (event loops). `close()` wakes every waiter; queued elements are still delivered.
/// Blocking reads may come from several threads; an async reader or a wake-up is one at a time.
public final class HandOffQueue<Policy: HandOffPolicy>: Sendable {
    public typealias Element = Policy.Element

    private enum Consumer {
        case async(CheckedContinuation<Element?, Never>)
        case ready(@Sendable () -> Void)
    }

    private struct State {
        var buffer = CircularBuffer<Element>()
        var policy: Policy
        var closed = false
        var consumer: Consumer?
        /// Blocked `pop(timeout:)` callers; each re-checks the queue when signalled.
        var sleepers: [DispatchSemaphore] = []
        /// Producers the policy told to wait.
        var producers: [DispatchSemaphore] = []
    }

    private let state: Mutex<State>

    public init(policy: Policy) {
        state = Mutex(State(policy: policy))
    }

    public var count: Int { state.withLock { $0.buffer.count } }
    public var isClosed: Bool { state.withLock { $0.closed } }
    /// Reads the policy's bookkeeping (drop counters, queued bytes).
    public func withPolicy<T: Sendable>(_ body: (Policy) -> T) -> T { body(state.withLock { $0.policy }) }

    /// Reads or edits the queue and its policy together under the lock (e.g. to drop what is
    /// queued on the consumer's request). Waiting producers are woken: room may have been made.
    public func withQueue<T: Sendable>(_ body: (inout Policy, inout CircularBuffer<Element>) -> T) -> T {
        let (result, producers) = state.withLock { s -> (T, [DispatchSemaphore]) in
            let result = body(&s.policy, &s.buffer)
            defer { s.producers.removeAll() }
            return (result, s.producers)
        }
        for p in producers { p.signal() }
        return result
    }

    /// Offers `element`; false if the policy dropped it or the queue is closed. Blocks only
    /// when the policy says `.wait`.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        while true {
            let outcome = state.withLock { s -> (admitted: Bool?, wake: Consumer?, direct: Element?, sleepers: [DispatchSemaphore]) in
                if s.closed { return (false, nil, nil, []) }
                switch s.policy.admit(element, queue: &s.buffer) {
                case .drop:
                    return (false, nil, nil, [])
                case .wait:
                    let semaphore = DispatchSemaphore(value: 0)
                    s.producers.append(semaphore)
                    return (nil, nil, nil, [semaphore])
                case .append:
                    s.buffer.append(element)
                    let consumer = s.consumer
                    s.consumer = nil
                    let sleepers = s.sleepers
                    s.sleepers.removeAll()
                    if case .async = consumer { return (true, consumer, Self.popLocked(&s), sleepers) }
                    return (true, consumer, nil, sleepers)
                }
            }
            guard let admitted = outcome.admitted else {
                outcome.sleepers.first?.wait() // the policy said wait: until the consumer takes, or close
                continue
            }
            for sleeper in outcome.sleepers { sleeper.signal() }
            switch outcome.wake {
            case .async(let continuation): continuation.resume(returning: outcome.direct)
            case .ready(let ready): ready()
            case nil: break
            }
            return admitted
        }
    }

    /// Ends the queue: producers are refused, the consumer gets what is queued, then nil.
    public func close() {
        let (consumer, waiting) = state.withLock { s -> (Consumer?, [DispatchSemaphore]) in
            s.closed = true
            defer { s.consumer = nil; s.producers.removeAll(); s.sleepers.removeAll() }
            return (s.consumer, s.producers + s.sleepers)
        }
        for w in waiting { w.signal() }
        switch consumer {
        case .async(let continuation): continuation.resume(returning: nil)
        case .ready(let ready): ready()
        case nil: break
        }
    }

    /// Blocking read: the next element, or nil when closed and drained or when `timeout`
    /// passes with nothing queued.
    public func pop(timeout: Duration) -> Element? {
        let capped = min(timeout, .seconds(86_400))
        let deadline = DispatchTime.now() + .nanoseconds(Int(capped.components.seconds) * 1_000_000_000
                                                           + Int(capped.components.attoseconds / 1_000_000_000))
        while true {
            let waiting = state.withLock { s -> Result<Element?, Never>? in
                if !s.buffer.isEmpty { return .success(Self.popAndWakeLocked(&s)) }
                if s.closed { return .success(nil) }
                return nil
            }
            if case .success(let element) = waiting { return element }
            let semaphore = DispatchSemaphore(value: 0)
            let registered = state.withLock { s -> Bool in
                guard s.buffer.isEmpty, !s.closed else { return false }
                s.sleepers.append(semaphore)
                return true
            }
            if registered, semaphore.wait(timeout: deadline) == .timedOut {
                return state.withLock { s -> Element? in
                    s.sleepers.removeAll { $0 === semaphore }
                    return s.buffer.isEmpty ? nil : Self.popAndWakeLocked(&s)
                }
            }
        }
    }

    /// Blocking read without a deadline (codec threads): the next element, or nil once closed
    /// and drained.
    public func pop() -> Element? {
        while true {
            if let element = pop(timeout: .seconds(3_600)) { return element }
            if isClosed && count == 0 { return nil }
        }
    }

    /// Async read: the next element, or nil once closed and drained.
    public func next() async -> Element? {
        await withCheckedContinuation { (c: CheckedContinuation<Element?, Never>) in
            let ready = state.withLock { s -> Result<Element?, Never>? in
                if !s.buffer.isEmpty { return .success(Self.popAndWakeLocked(&s)) }
                if s.closed { return .success(nil) }
                precondition(s.consumer == nil, "one consumer per HandOffQueue")
                s.consumer = .async(c)
                return nil
            }
            if case .success(let element) = ready { c.resume(returning: element) }
        }
    }

    /// For event-loop consumers that write in batches: calls `ready` once, as soon as an
    /// element is queued or the queue is closed (at once if either is already so), on the
    /// thread that made it so. Then `drain` takes what is there.
    public func notifyWhenReady(_ ready: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if !s.buffer.isEmpty || s.closed { return true }
            if case .async = s.consumer { preconditionFailure("one async reader or wake-up per HandOffQueue") }
            s.consumer = .ready(ready) // a newer wake-up replaces an older one
            return false
        }
        if now { ready() }
    }

    /// Up to `max` queued elements, without waiting; `ended` once the queue is closed and drained.
    public func drain(max: Int) -> (elements: [Element], ended: Bool) {
        state.withLock { s in
            var out: [Element] = []
            out.reserveCapacity(Swift.min(max, s.buffer.count))
            while out.count < max, !s.buffer.isEmpty { out.append(Self.popAndWakeLocked(&s)) }
            return (out, s.closed && s.buffer.isEmpty)
        }
    }

    private static func popAndWakeLocked(_ s: inout State) -> Element {
        let element = Self.popLocked(&s)
        // Room was made: waiting producers try again.
        for p in s.producers { p.signal() }
        s.producers.removeAll()
        return element
    }

    private static func popLocked(_ s: inout State) -> Element {
        let element = s.buffer.removeFirst()
        s.policy.removed(element)
        return element
    }
}
