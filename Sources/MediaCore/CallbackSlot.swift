import Synchronization

/// One replaceable callback, set and read from any thread.
///
/// Why not `Mutex<((Argument) -> Void)?>`: a closure stored directly in a generic container is
/// re-wrapped in two reabstraction thunks by every `withLock` (its `inout` crosses the generic
/// boundary both ways; Swift 6.3, debug and release), so after n reads a call runs through 2n
/// thunks. The origin read its demand handler on every playlist request and stopped answering
/// within minutes of the soak (Docs/Benchmarks.md). A struct around the closure is never
/// reabstracted.
public final class CallbackSlot<Argument>: Sendable {
    private struct Callback: Sendable {
        let call: @Sendable (Argument) -> Void
    }

    #if SLUICE_TSAN
    private let slot = TSanVisibleMutex<Callback?>(nil)
    #else
    private let slot = Mutex<Callback?>(nil)
    #endif

    public init() {}

    /// Replaces the callback (nil removes it).
    public func set(_ callback: (@Sendable (Argument) -> Void)?) {
        let boxed = callback.map(Callback.init(call:))
        slot.withLock { $0 = boxed }
    }

    /// The current callback, to call outside the lock.
    public var callback: (@Sendable (Argument) -> Void)? {
        slot.withLock { $0 }?.call
    }
}
