import Synchronization

/// The end of a worker thread, awaited from async code: `wait()` returns once `signal()` ran
/// (at once if it already did). One per thread; the thread signals it last.
final class ThreadExit: Sendable {
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]?>([])

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ended = waiters.withLock { w -> Bool in
                if w == nil { return true }
                w!.append(c)
                return false
            }
            if ended { c.resume() }
        }
    }

    func signal() {
        let list = waiters.withLock { w -> [CheckedContinuation<Void, Never>] in
            defer { w = nil }
            return w ?? []
        }
        for c in list { c.resume() }
    }
}
