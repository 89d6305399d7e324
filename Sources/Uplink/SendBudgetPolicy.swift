import NIOCore
import StreamHub

/// The sender's queue: bounded by a latency budget in media time, not by a count. When the
/// media waiting to be sent spans more than the budget, what is queued is dropped and video
/// resumes at the next keyframe: the viewer loses a moment instead of falling seconds behind.
/// Audio is dropped with it (it would be stale), counted apart.
public struct SendBudgetPolicy: HandOffPolicy {
    public let budgetMicros: Int64
    /// A hard cap in units, whatever the timestamps say.
    public let capacity: Int
    public private(set) var bytes = 0
    public private(set) var count = 0
    /// Video frames lost to the budget (queued ones and those skipped until a keyframe).
    public private(set) var droppedVideoFrames = 0
    public private(set) var droppedAudioFrames = 0
    private var waitingForKeyframe = false
    private var newestDts: Int64?
    private var lastRemovedDts: Int64?

    public init(budgetMicros: Int64, capacity: Int = 4096) {
        self.budgetMicros = budgetMicros
        self.capacity = capacity
    }

    /// Media time waiting in the queue (newest queued minus last sent), µs.
    public var queuedMicros: Int64 {
        guard count > 0, let newestDts, let lastRemovedDts else { return 0 }
        return max(0, newestDts - lastRemovedDts)
    }

    public mutating func admit(_ unit: UplinkUnit, queue: inout CircularBuffer<UplinkUnit>) -> HandOffAdmission {
        let keyframe = unit.kind == .video && unit.isKeyframe
        if waitingForKeyframe && unit.kind == .video {
            guard keyframe else {
                droppedVideoFrames += 1
                return .drop
            }
            waitingForKeyframe = false
        }
        let oldest = queue.first?.dts ?? lastRemovedDts ?? unit.dts
        if count >= capacity || (count > 0 && unit.dts - oldest > budgetMicros) {
            for queued in queue {
                if queued.kind == .video { droppedVideoFrames += 1 } else { droppedAudioFrames += 1 }
            }
            queue.removeAll()
            bytes = 0
            count = 0
            if unit.kind == .video && !keyframe {
                waitingForKeyframe = true
                droppedVideoFrames += 1
                return .drop
            }
        }
        bytes += unit.data.count
        count += 1
        newestDts = max(newestDts ?? unit.dts, unit.dts)
        if lastRemovedDts == nil { lastRemovedDts = unit.dts }
        return .append
    }

    public mutating func removed(_ unit: UplinkUnit) {
        bytes -= unit.data.count
        count -= 1
        lastRemovedDts = unit.dts
    }
}
