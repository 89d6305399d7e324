import HLS
import Synchronization

/// A clock that moves only when the test says so.
final class ManualClock: HLSClock {
    private struct State {
        var now: Duration = .zero
        var sleepers: [(deadline: Duration, continuation: CheckedContinuation<Void, Never>)] = []
    }
    private let state = Mutex(State())

    func now() -> Duration { state.withLock { $0.now } }

    func sleep(for duration: Duration) async throws {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let due = state.withLock { s -> Bool in
                let deadline = s.now + duration
                if deadline <= s.now { return true }
                s.sleepers.append((deadline, c))
                return false
            }
            if due { c.resume() }
        }
    }

    func advance(by duration: Duration) {
        let due = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.now += duration
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.map(\.continuation)
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for c in due { c.resume() }
    }
}
