import NIOCore
import StreamHub

/// A bounded hand-off that refuses what arrives when full and counts it: decoded pictures
/// waiting for an encoder that cannot keep up are better lost than late.
public struct DropNewestPolicy<Element: Sendable>: HandOffPolicy {
    public let capacity: Int
    public private(set) var dropped = 0

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public mutating func admit(_ element: Element, queue: inout CircularBuffer<Element>) -> HandOffAdmission {
        guard queue.count < capacity else {
            dropped += 1
            return .drop
        }
        return .append
    }

    public mutating func removed(_ element: Element) {}
}
