import Synchronization

/// The hand-off from the decode thread to one rung's encoder thread, and the rung's controls.
final class RungChannel: Sendable {
    let rung: ResolvedRung
    let queue: BoundedQueue<RungFrame>
    private let requestedBitrate = Mutex<Int?>(nil)

    init(rung: ResolvedRung, capacity: Int) {
        self.rung = rung
        self.queue = BoundedQueue(capacity: capacity)
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
