import Foundation

/// Bytes from a network thread to a demux thread. The writer never blocks: past `capacity`
/// the newest chunk is dropped and counted (the MPEG-TS demuxer resynchronises on the next
/// packet), so a stalled demuxer cannot grow memory. The reader gives up (reads end) when
/// the writer stays silent: `firstByteTimeout` before any byte, `idleTimeout` after.
///
/// @unchecked Sendable: every stored property is guarded by `condition`.
final class ByteQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var offset = 0
    private var bytes = 0
    private var closed = false
    private var receivedAny = false
    private(set) var droppedBytes = 0
    private var timedOut = false
    let capacity: Int
    let firstByteTimeout: Double
    let idleTimeout: Double

    init(capacity: Int, firstByteTimeout: Duration = .seconds(3600), idleTimeout: Duration = .seconds(3600)) {
        self.capacity = capacity
        self.firstByteTimeout = Self.seconds(firstByteTimeout)
        self.idleTimeout = Self.seconds(idleTimeout)
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    var hasReceived: Bool { condition.withLock { receivedAny } }
    /// True once reads ended because the writer was silent too long.
    var didTimeOut: Bool { condition.withLock { timedOut } }

    /// False when the chunk was dropped because the reader is too far behind.
    @discardableResult
    func write(_ data: UnsafeRawBufferPointer) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        guard bytes + data.count <= capacity else {
            droppedBytes += data.count
            return false
        }
        chunks.append(Array(data))
        bytes += data.count
        receivedAny = true
        condition.signal()
        return true
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until bytes arrive; 0 once closed and drained, or after a silence (`timedOut`).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(receivedAny ? idleTimeout : firstByteTimeout)
        while head == chunks.count {
            if closed || timedOut { return 0 }
            if !condition.wait(until: deadline) {
                timedOut = true
                return 0
            }
        }
        var copied = 0
        while copied < buffer.count, head < chunks.count {
            let chunk = chunks[head]
            let n = min(buffer.count - copied, chunk.count - offset)
            chunk.withUnsafeBytes { src in
                buffer.baseAddress!.advanced(by: copied).copyMemory(from: src.baseAddress!.advanced(by: offset), byteCount: n)
            }
            copied += n
            offset += n
            if offset == chunk.count {
                head += 1
                offset = 0
            }
        }
        if head > 64, head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
        bytes -= copied
        return copied
    }
}
