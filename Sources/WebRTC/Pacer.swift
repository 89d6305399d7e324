/// A token-bucket pacer on an injected clock (nanoseconds), pure: packets go out at
/// `bytesPerSecond` with at most `burstBytes` at once, so a keyframe's packets leave spread over
/// time instead of in one burst that overflows a router's queue. Integer arithmetic, so a
/// schedule is exact. Bounded: a packet that would wait longer than `maxQueueDelayNanos`, or
/// beyond `maxQueuedPackets`, is refused (the caller drops it and, for video, resumes at the next
/// keyframe) — a viewer never builds a queue.
public struct Pacer<Element: Sendable>: Sendable {
    public private(set) var bytesPerSecond: Int
    public let burstBytes: Int
    public let maxQueuedPackets: Int
    public let maxQueueDelayNanos: UInt64

    private var queue: [(element: Element, size: Int)] = []
    private var head = 0
    private var queuedBytes = 0
    /// Tokens in byte-nanoseconds (bytes × 1e9) at `updated`.
    private var tokens: Int
    private var updated: UInt64?

    public private(set) var dropped = 0

    static var nanos: Int { 1_000_000_000 }

    public init(bytesPerSecond: Int, burstBytes: Int, maxQueuedPackets: Int = 1024, maxQueueDelayNanos: UInt64 = 500_000_000) {
        self.bytesPerSecond = min(max(bytesPerSecond, 1), 1 << 34)
        self.burstBytes = min(max(burstBytes, 1), 1 << 30)
        self.maxQueuedPackets = max(maxQueuedPackets, 1)
        self.maxQueueDelayNanos = maxQueueDelayNanos
        tokens = self.burstBytes * Self.nanos
    }

    public var queuedPackets: Int { queue.count - head }

    /// A new rate (e.g. from congestion control); tokens earned so far are kept.
    public mutating func setRate(bytesPerSecond rate: Int, now: UInt64) {
        refill(now: now)
        bytesPerSecond = min(max(rate, 1), 1 << 34)
    }

    private func tokens(at now: UInt64) -> Int {
        guard let last = updated, now > last else { return tokens }
        let full = burstBytes * Self.nanos
        // Cap the elapsed time before multiplying so a long pause cannot overflow.
        let elapsed = Int(min(now - last, UInt64(full / bytesPerSecond + 1)))
        return min(full, tokens + elapsed * bytesPerSecond)
    }

    private mutating func refill(now: UInt64) {
        tokens = tokens(at: now)
        if let last = updated, last >= now { return }
        updated = now
    }

    /// Queues a packet; false (and counted in `dropped`) when the queue is full or the packet
    /// would leave later than `maxQueueDelayNanos` from now.
    public mutating func enqueue(_ element: Element, size: Int, now: UInt64) -> Bool {
        refill(now: now)
        let size = min(max(size, 0), 1 << 20)
        let backlog = (queuedBytes + size) * Self.nanos - tokens
        let wait = backlog <= 0 ? 0 : UInt64(backlog / bytesPerSecond)
        guard queuedPackets < maxQueuedPackets, queuedBytes + size < 1 << 33, wait <= maxQueueDelayNanos else {
            dropped += 1
            return false
        }
        queue.append((element, size))
        queuedBytes += size
        return true
    }

    /// What the head packet needs: its size, or the whole bucket for a packet larger than it.
    private func need(_ size: Int) -> Int { min(size, burstBytes) * Self.nanos }

    /// The packets that may go now, in order.
    public mutating func poll(now: UInt64) -> [Element] {
        refill(now: now)
        var out: [Element] = []
        while head < queue.count, tokens >= need(queue[head].size) {
            tokens -= queue[head].size * Self.nanos
            queuedBytes -= queue[head].size
            out.append(queue[head].element)
            head += 1
        }
        if head > 256, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return out
    }

    /// When the next queued packet may go (nil when the queue is empty); a caller's timer sleeps until then.
    public func nextSendTime(now: UInt64) -> UInt64? {
        guard head < queue.count else { return nil }
        let missing = need(queue[head].size) - tokens(at: now)
        if missing <= 0 { return now }
        let base = max(now, updated ?? now)
        return base + UInt64((missing + bytesPerSecond - 1) / bytesPerSecond)
    }

    /// The departure time of each packet of `sizes`, all queued at `start`, for planning and tests.
    public static func schedule(sizes: [Int], start: UInt64, bytesPerSecond: Int, burstBytes: Int) -> [UInt64] {
        var pacer = Pacer<Int>(bytesPerSecond: bytesPerSecond, burstBytes: burstBytes, maxQueuedPackets: max(sizes.count, 1),
                               maxQueueDelayNanos: .max)
        for (i, s) in sizes.enumerated() { _ = pacer.enqueue(i, size: s, now: start) }
        var times = [UInt64](repeating: start, count: sizes.count)
        var now = start
        while true {
            for i in pacer.poll(now: now) { times[i] = now }
            guard let next = pacer.nextSendTime(now: now) else { break }
            now = max(next, now + 1)
        }
        return times
    }
}
