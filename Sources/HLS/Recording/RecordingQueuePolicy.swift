import NIOCore
import StreamHub

/// The disk thread's queue: the packager never waits. A segment that would take the queue past
/// its byte budget is dropped (the producer counts it and marks the gap); control jobs always
/// go in (a few per recording).
struct RecordingQueuePolicy: HandOffPolicy {
    let byteCapacity: Int
    private(set) var bytes = 0

    init(byteCapacity: Int) { self.byteCapacity = byteCapacity }

    mutating func admit(_ job: RecordingJob, queue: inout CircularBuffer<RecordingJob>) -> HandOffAdmission {
        let size = job.bytes
        if size > 0 && bytes + size > byteCapacity { return .drop }
        bytes += size
        return .append
    }

    mutating func removed(_ job: RecordingJob) {
        bytes -= job.bytes
    }
}
