import BitrateControl
import Synchronization

/// What the threads of one push share: the controller's latest decision (written by the
/// sender, applied by the encoder between frames), a keyframe request, the stop flag and the
/// first error. Small and lock-protected; nothing blocks under the lock.
public final class UplinkControl: Sendable {
    struct State {
        var decision: RateDecision
        var keyframeRequested = false
        var stopping = false
        var error: (any Error)?
        var encodedFrames = 0
        var decimatedFrames = 0
    }
    private let state: Mutex<State>

    public init(start: RateDecision) {
        state = Mutex(State(decision: start))
    }

    public var decision: RateDecision { state.withLock { $0.decision } }
    public func set(_ decision: RateDecision) { state.withLock { $0.decision = decision } }

    public func requestKeyframe() { state.withLock { $0.keyframeRequested = true } }
    /// true once per request.
    public func takeKeyframeRequest() -> Bool {
        state.withLock { s in
            defer { s.keyframeRequested = false }
            return s.keyframeRequested
        }
    }

    public var isStopping: Bool { state.withLock { $0.stopping } }
    public func stop() { state.withLock { $0.stopping = true } }

    /// Records the first failure and stops every thread.
    public func fail(_ error: any Error) {
        state.withLock { s in
            if s.error == nil { s.error = error }
            s.stopping = true
        }
    }
    public var error: (any Error)? { state.withLock { $0.error } }

    func countEncoded(decimated: Bool) {
        state.withLock { s in
            if decimated { s.decimatedFrames += 1 } else { s.encodedFrames += 1 }
        }
    }
    public var encodedFrames: Int { state.withLock { $0.encodedFrames } }
    public var decimatedFrames: Int { state.withLock { $0.decimatedFrames } }
}
