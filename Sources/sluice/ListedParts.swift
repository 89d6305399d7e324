import NIOCore
import Synchronization

/// When each part was listed at the origin, as a watcher there saw its blocking reload return:
/// viewers behind an edge time their part's delivery from it. Written once per part, read once
/// per part delivered; bounded (the oldest entries go). `.distantPast`: listed before the
/// watcher started (no listing time).
final class ListedParts: Sendable {
    private struct State {
        var at: [String: NIODeadline] = [:]
        var order: [String] = []
        var head = 0
    }

    private let state = Mutex(State())
    static let capacity = 4_096

    func record(_ uri: String, at time: NIODeadline) {
        state.withLock { s in
            guard s.at[uri] == nil else { return }
            s.at[uri] = time
            if s.order.count < Self.capacity {
                s.order.append(uri)
            } else {
                s.at[s.order[s.head]] = nil
                s.order[s.head] = uri
                s.head = (s.head + 1) % Self.capacity
            }
        }
    }

    func listed(_ uri: String) -> NIODeadline? { state.withLock { $0.at[uri] } }
}
