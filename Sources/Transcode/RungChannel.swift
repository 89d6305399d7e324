import Synchronization

/// The hand-off from the decode thread to one rung's encoder thread, and the rung's controls.
final class RungChannel: Sendable {
    let rung: ResolvedRung
    let queue: CodecQueue<RungFrame>
    private let requestedBitrate = Mutex<Int?>(nil)

    init(rung: ResolvedRung, capacity: Int, blocking: Bool) {
        self.rung = rung
        self.queue = CodecQueue(policy: CodecQueuePolicy(capacity: capacity, blocking: blocking))
    }

    /// Applied by the encoder thread before its next frame.
    func requestBitrate(_ bps: Int) {
        requestedBitrate.withLock { $0 = bps }
    }

    func takeRequestedBitrate() -> Int? {
        requestedBitrate.withLock { r in
            defer { r = nil }
            return r
        }
    }
}
