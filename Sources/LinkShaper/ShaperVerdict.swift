/// What the link does with one packet offered at a time `t`.
public enum ShaperVerdict: Sendable, Equatable {
    /// Leaves the bottleneck at `leavesQueue` and reaches the far side at `arrives`.
    case deliver(arrives: Double, leavesQueue: Double)
    /// Went through the queue and the link (it used capacity) but is lost on the way.
    case lost(leavesQueue: Double)
    /// The drop-tail queue is full. Nothing changed: a byte stream may offer it again later.
    case queueFull
}
