import Synchronization

/// What the session's API changes while the threads run: rung bitrates.
final class SessionControl: Sendable {
    private struct State {
        var bitrates: [String: Int] = [:]
        var channels: [String: RungChannel] = [:]
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
}
