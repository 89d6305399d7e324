import NIOCore
import StreamHub

/// Chunks of bytes under a byte budget: past it the newest chunk is dropped and counted (an
/// MPEG-TS demuxer resynchronises on the next packet), so a stalled reader cannot grow memory.
struct ByteBudgetPolicy: HandOffPolicy {
    let capacity: Int
    private(set) var bytes = 0
    private(set) var droppedBytes = 0
    private(set) var receivedAny = false
    /// Bytes admitted so far.
    private(set) var receivedBytes = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func admit(_ chunk: [UInt8], queue: inout CircularBuffer<[UInt8]>) -> HandOffAdmission {
        guard bytes + chunk.count <= capacity else {
            droppedBytes += chunk.count
            return .drop
        }
        bytes += chunk.count
        receivedBytes += chunk.count
        receivedAny = true
        return .append
    }

    mutating func removed(_ chunk: [UInt8]) {
        bytes -= chunk.count
    }
}
