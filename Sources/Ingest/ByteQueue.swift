import StreamHub
import Synchronization

/// Bytes from a network thread to a demux thread: a `HandOffQueue` of chunks under a byte
/// budget (`ByteBudgetPolicy`; the writer never blocks). The reader gives up (reads end) when
/// the writer stays silent: `firstByteTimeout` before any byte, `idleTimeout` after, or at a
/// deadline however the bytes come (a caller that trickles a byte now and then).
final class ByteQueue: Sendable {
    private let queue: HandOffQueue<ByteBudgetPolicy>
    /// The reader's unfinished chunk; only the demux thread touches it.
    private let partial = Mutex<(chunk: [UInt8], offset: Int)>(([], 0))
    private let timedOut = Atomic<Bool>(false)
    private let deadline = Mutex<(at: ContinuousClock.Instant?, missed: Bool)>((nil, false))
    let capacity: Int
    let firstByteTimeout: Duration
    let idleTimeout: Duration

    init(capacity: Int, firstByteTimeout: Duration = .seconds(3600), idleTimeout: Duration = .seconds(3600)) {
        self.capacity = capacity
        self.firstByteTimeout = firstByteTimeout
        self.idleTimeout = idleTimeout
        queue = HandOffQueue(policy: ByteBudgetPolicy(capacity: capacity))
    }

    var droppedBytes: Int { queue.withPolicy { $0.droppedBytes } }
    var receivedBytes: Int { queue.withPolicy { $0.receivedBytes } }
    /// True once reads ended at the deadline.
    var missedDeadline: Bool { deadline.withLock { $0.missed } }

    /// Reads end at `instant` (nil: no deadline), whether bytes come or not.
    func setDeadline(_ instant: ContinuousClock.Instant?) {
        deadline.withLock { $0.at = instant }
    }
    var hasReceived: Bool { queue.withPolicy { $0.receivedAny } }
    /// True once reads ended because the writer was silent too long.
    var didTimeOut: Bool { timedOut.load(ordering: .relaxed) }

    /// False when the chunk was dropped because the reader is too far behind (or after close).
    @discardableResult
    func write(_ data: UnsafeRawBufferPointer) -> Bool {
        queue.push(Array(data))
    }

    func close() {
        queue.close()
    }

    /// Blocks until bytes arrive; 0 once closed and drained, or after a silence (`didTimeOut`).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard !didTimeOut else { return 0 }
        return partial.withLock { p -> Int in
            var copied = 0
            while copied < buffer.count {
                if p.offset == p.chunk.count {
                    // Wait only while nothing was copied yet; then take what is already queued.
                    let next: [UInt8]?
                    if copied == 0 {
                        var wait = hasReceived ? idleTimeout : firstByteTimeout
                        if let at = deadline.withLock({ $0.at }) {
                            let left = at - ContinuousClock.now
                            guard left > .zero else {
                                deadline.withLock { $0.missed = true }
                                timedOut.store(true, ordering: .relaxed)
                                break
                            }
                            wait = min(wait, left)
                        }
                        next = queue.pop(timeout: wait)
                        if next == nil, !queue.isClosed {
                            timedOut.store(true, ordering: .relaxed)
                            deadline.withLock { d in if let at = d.at, ContinuousClock.now >= at { d.missed = true } }
                        }
                    } else {
                        next = queue.drain(max: 1).elements.first
                    }
                    guard let next else { break }
                    p = (next, 0)
                }
                let n = min(buffer.count - copied, p.chunk.count - p.offset)
                p.chunk.withUnsafeBytes { src in
                    buffer.baseAddress!.advanced(by: copied).copyMemory(from: src.baseAddress!.advanced(by: p.offset), byteCount: n)
                }
                copied += n
                p.offset += n
            }
            return copied
        }
    }
}
