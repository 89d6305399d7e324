import Foundation

/// A bounded FIFO between codec threads. The producer either waits for room (`put`) or never
/// waits (`offer`: when full, the item is dropped — or, if it must not be lost, the newest
/// queued item that may be lost makes room for it).
///
/// @unchecked Sendable: every stored property is guarded by `condition`.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    let capacity: Int
    private let condition = NSCondition()
    private var items: [Element] = []
    private var closed = false
    private var _highWater = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var highWater: Int { condition.withLock { _highWater } }
    var count: Int { condition.withLock { items.count } }

    /// Waits while full. False if the queue was closed.
    @discardableResult
    func put(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !closed { condition.wait() }
        if closed { return false }
        appendLocked(item)
        return true
    }

    /// Never waits. Returns how many items were lost (0 or 1). When full, a `precious` item
    /// evicts the newest queued item for which `expendable` is true; otherwise it is dropped.
    func offer(_ item: Element, precious: Bool = false, expendable: (Element) -> Bool = { _ in true }) -> Int {
        condition.lock()
        defer { condition.unlock() }
        if closed { return 1 }
        guard items.count >= capacity else {
            appendLocked(item)
            return 0
        }
        guard precious, let victim = items.lastIndex(where: expendable) else { return 1 }
        items.remove(at: victim)
        appendLocked(item)
        return 1
    }

    private func appendLocked(_ item: Element) {
        items.append(item)
        _highWater = max(_highWater, items.count)
        condition.broadcast()
    }

    /// The next item; waits until one arrives. Nil once closed and drained, or after `timeout`.
    func pop(timeout: Double? = nil) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while items.isEmpty {
            if closed { return nil }
            if let deadline {
                if !condition.wait(until: deadline) && items.isEmpty { return nil }
            } else {
                condition.wait()
            }
        }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// No more items; the consumer drains what is queued, then gets nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
