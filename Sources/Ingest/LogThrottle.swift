import Foundation
import Synchronization

/// A few log lines per window: the first `burst` events in a window are logged, the rest are
/// counted and reported with the next line. For events a peer can cause at will (refused
/// connections, libsrt's handshake chatter), so a flood cannot flood the log.
final class LogThrottle: Sendable {
    private let window: Duration
    private let burst: Int
    private let state = Mutex<(start: ContinuousClock.Instant?, admitted: Int, suppressed: Int)>((nil, 0, 0))

    init(window: Duration = .seconds(10), burst: Int = 1) {
        self.window = window
        self.burst = burst
    }

    /// nil when this event should stay quiet; else how many were suppressed before it.
    func admit() -> Int? {
        let now = ContinuousClock.now
        return state.withLock { s in
            if let start = s.start, now - start < window {
                guard s.admitted < burst else {
                    s.suppressed += 1
                    return nil
                }
                s.admitted += 1
                return 0
            }
            let suppressed = s.suppressed
            s = (now, 1, 0)
            return suppressed
        }
    }
}
