import NIOCore

/// A `HandOffQueue`'s strategy for a full queue (drop newest, drop to the next keyframe,
/// coalesce, or block the producer), as `NIOAsyncSequenceProducer` takes its back-pressure
/// strategy. Runs under the queue's lock: keep it to bookkeeping.
public protocol HandOffPolicy: Sendable {
    associatedtype Element: Sendable
    /// Decides about `element`; may edit what is queued (drop or coalesce queued elements).
    mutating func admit(_ element: Element, queue: inout CircularBuffer<Element>) -> HandOffAdmission
    /// The consumer took `element`.
    mutating func removed(_ element: Element)
}
