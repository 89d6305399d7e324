import MediaCore
import NIOCore

/// A stream reader's policy: the publisher never waits. When the queue is full (in events or
/// in bytes) the reader loses media up to the next video keyframe, and the loss is counted.
/// Control events are coalesced (the latest tracks and metadata win), so a flood of them is
/// bounded too.
public struct ReaderDropPolicy: HandOffPolicy {
    public let capacity: Int
    public let byteCapacity: Int
    /// Payload bytes queued (media and metadata).
    public private(set) var bytes = 0
    /// Units lost to overflow.
    public private(set) var dropped = 0
    /// Dts (ms) of the newest unit queued, for the player's send-delay controller.
    public private(set) var newestMillis: Int64?
    /// Units dropped on the reader's request (`ReaderQueue.skipToKeyframe`).
    public private(set) var skipped = 0
    /// Set after an overflow: units are skipped until a video keyframe arrives.
    private var waitingForKeyframe = false

    public init(capacity: Int, byteCapacity: Int) {
        precondition(capacity > 0 && byteCapacity > 0)
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    public mutating func admit(_ event: HubEvent, queue: inout CircularBuffer<HubEvent>) -> HandOffAdmission {
        let size = Self.size(of: event)
        if case .unit(let unit) = event {
            let keyframe = unit.track == .video && unit.isKeyframe
            if waitingForKeyframe {
                guard keyframe else {
                    dropped += 1
                    return .drop
                }
                waitingForKeyframe = false
            }
            if queue.count >= capacity || bytes + size > byteCapacity {
                overflow(&queue)
                dropped += 1
                if !keyframe {
                    waitingForKeyframe = true
                    return .drop
                }
            }
        } else if let last = queue.last, Self.sameKind(last, event) {
            // Back-to-back control events of one kind: only the latest matters.
            bytes -= Self.size(of: queue.removeLast())
        } else if queue.count >= capacity {
            overflow(&queue)
        }
        bytes += size
        if case .unit(let unit) = event { newestMillis = unit.timebase.rescale(unit.dts, to: .milliseconds) }
        return .append
    }

    /// The reader asked to catch up: queued units go (control events stay) and the reader
    /// continues at the next video keyframe. Returns the units dropped.
    public mutating func skipToKeyframe(_ queue: inout CircularBuffer<HubEvent>) -> Int {
        let before = dropped
        overflow(&queue)
        let units = dropped - before
        dropped = before
        skipped += units
        waitingForKeyframe = true
        return units
    }

    public mutating func removed(_ event: HubEvent) {
        bytes -= Self.size(of: event)
    }

    /// Drops every queued unit (their GOP is now broken) and keeps one of each control event,
    /// the latest: discontinuity, then tracks, then metadata.
    private mutating func overflow(_ queue: inout CircularBuffer<HubEvent>) {
        var discontinuity = false
        var tracks: HubEvent?
        var metadata: HubEvent?
        for event in queue {
            switch event {
            case .unit: dropped += 1
            case .discontinuity: discontinuity = true
            case .tracks: tracks = event
            case .metadata: metadata = event
            }
        }
        queue.removeAll(keepingCapacity: true)
        bytes = 0
        for event in [discontinuity ? HubEvent.discontinuity : nil, tracks, metadata].compactMap({ $0 }) {
            queue.append(event)
            bytes += Self.size(of: event)
        }
    }

    private static func sameKind(_ a: HubEvent, _ b: HubEvent) -> Bool {
        switch (a, b) {
        case (.tracks, .tracks), (.metadata, .metadata), (.discontinuity, .discontinuity): true
        default: false
        }
    }

    static func size(of event: HubEvent) -> Int {
        switch event {
        case .unit(let unit): unit.data.readableBytes
        case .metadata(let meta): meta.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        case .tracks, .discontinuity: 0
        }
    }
}
