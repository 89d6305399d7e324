import Synchronization

/// What the session's API changes while the threads run: rung bitrates.
final class SessionControl: Sendable {
    private struct State {
        var bitrates: [String: Int] = [:]
        var channels: [String: RungChannel] = [:]
        var keyframeRequested = false
    }
    private let state = Mutex(State())

    func register(_ channel: RungChannel) {
        state.withLock { $0.channels[channel.rung.name] = channel }
    }

    func bitrate(for rung: String) -> Int? {
        state.withLock { $0.bitrates[rung] }
    }

    var rungNames: [String] { state.withLock { Array($0.channels.keys) } }

    func setBitrate(_ bps: Int, rung: String) {
        let channel = state.withLock { s -> RungChannel? in
            s.bitrates[rung] = bps
            return s.channels[rung]
        }
        channel?.requestBitrate(bps)
    }

    /// A viewer needs a keyframe now (a WebRTC viewer joining or reporting loss): the next
    /// frame is an IDR on every rung, so the rungs stay aligned.
    func requestKeyframe() {
        state.withLock { $0.keyframeRequested = true }
    }

    func takeKeyframeRequest() -> Bool {
        state.withLock { s in
            defer { s.keyframeRequested = false }
            return s.keyframeRequested
        }
    }
}
