import Logging
import Synchronization

/// The HLS streams the origin serves, by path (`<app>/<stream>`).
public final class HLSRegistry: Sendable {
    private let streams = Mutex<[String: HLSStream]>([:])

    public init() {}

    public func stream(_ path: String) -> HLSStream? {
        streams.withLock { $0[path] }
    }

    /// The stream at `path`, created if absent or ended. A publisher that reconnects before
    /// the stream was ended gets the same stream back (call `discontinuity()` on it), so
    /// sequence numbers continue.
    public func stream(path: String, configuration: HLSConfiguration = HLSConfiguration(),
                       clock: any HLSClock = ContinuousHLSClock(), logger: Logger = Logger(label: "sluice.hls")) -> HLSStream {
        streams.withLock { map in
            if let s = map[path], !s.isEnded { return s }
            let s = HLSStream(path: path, configuration: configuration, clock: clock, logger: logger)
            map[path] = s
            return s
        }
    }

    /// Ends and forgets the stream at `path`.
    public func remove(_ path: String) {
        let s = streams.withLock { $0.removeValue(forKey: path) }
        s?.end()
    }

    /// Forgets `stream` if it is still the one at its path (a republish may have replaced it).
    public func forget(_ stream: HLSStream) {
        streams.withLock { map in
            if map[stream.path] === stream { map[stream.path] = nil }
        }
    }

    public var paths: [String] { streams.withLock { Array($0.keys).sorted() } }
}
