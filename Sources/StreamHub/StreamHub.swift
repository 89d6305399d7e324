import Foundation
import MediaCore
import Synchronization

/// The registry of live streams: one publisher per path, any number of readers.
///
/// A new publisher on a busy path takes it over at once (the old one is told to stop) only if it
/// proves the live publisher's credential (the same key, or a token from the same secret); else
/// it is refused while the live one is connected (a half-dead connection goes at the publisher
/// idle timeout, then the encoder's reconnect gets in). A path that overlaps another one in use
/// (`live/a/source` while `live/a` is live) is refused: their URLs would collide.
public final class StreamHub: Sendable {
    private let state = Mutex(State())
    private let observers = Mutex<[@Sendable (LiveStream) -> Void]>([])
    private let pathsInUse: @Sendable () -> [String]

    struct State {
        var streams: [String: LiveStream] = [:]
        /// Paths of streams whose publisher came from the network (validated). The server's
        /// own derived streams (`live/a/720p` from the transcoder) are not claims.
        var claimed: Set<String> = []
    }

    /// `pathsInUse`: paths the composition still serves after their publisher left (e.g. the
    /// HLS registry during its end grace); a new publisher may not overlap them either.
    public init(pathsInUse: @escaping @Sendable () -> [String] = { [] }) {
        self.pathsInUse = pathsInUse
    }

    /// Starts publishing a path that came from the network. A busy path is taken over only with
    /// the live publisher's `credential` (a digest of the key it proved; nil: none, never a
    /// takeover); a path overlapping another one in use, or beyond `maxPublishers`, is refused.
    public func publish(_ path: StreamPath, credential: String? = nil, maxPublishers: Int = .max,
                        onEvicted: @escaping @Sendable () -> Void = {}) throws(PublishRefusal) -> Publisher {
        let outside = pathsInUse()
        let result = state.withLock { s -> Result<(LiveStream, Bool), PublishRefusal> in
            if let clash = Self.overlap(path, claimed: s.claimed, inUse: outside) { return .failure(clash) }
            if !s.claimed.contains(path.value) && s.claimed.count >= maxPublishers { return .failure(.tooManyPublishers(limit: maxPublishers)) }
            s.claimed.insert(path.value)
            return .success(Self.streamLocked(&s, path.value))
        }
        let (stream, created) = try result.get()
        guard let publisher = attach(stream, created: created, credential: credential, takeover: false, onEvicted: onEvicted) else {
            throw .busy(path: path.value)
        }
        return publisher
    }

    /// Whether `publish(_:)` would accept `path` now, without publishing (an SRT listener asks
    /// during the handshake).
    public func check(_ path: StreamPath, credential: String? = nil, maxPublishers: Int = .max) throws(PublishRefusal) {
        let outside = pathsInUse()
        let refusal = state.withLock { s -> PublishRefusal? in
            if let clash = Self.overlap(path, claimed: s.claimed, inUse: outside) { return clash }
            if !s.claimed.contains(path.value) && s.claimed.count >= maxPublishers { return .tooManyPublishers(limit: maxPublishers) }
            if let live = s.streams[path.value], !live.admitsPublisher(credential: credential) { return .busy(path: path.value) }
            return nil
        }
        if let refusal { throw refusal }
    }

    /// Streams published from the network now.
    public var publisherCount: Int { state.withLock { $0.claimed.count } }

    /// Starts publishing on `path` for the server's own streams (transcoder renditions). If the
    /// path is busy, the previous publisher is evicted (its `onEvicted` runs) and the stream
    /// continues with a discontinuity.
    public func publish(path: String, onEvicted: @escaping @Sendable () -> Void = {}) -> Publisher {
        let (stream, created) = state.withLock { Self.streamLocked(&$0, path, derived: true) }
        // The server's own streams always take over (a restarted transcoder rung).
        return attach(stream, created: created, credential: nil, takeover: true, onEvicted: onEvicted)!
    }

    private func attach(_ stream: LiveStream, created: Bool, credential: String?, takeover: Bool,
                        onEvicted: @escaping @Sendable () -> Void) -> Publisher? {
        guard let publisher = stream.attach(onEvicted: onEvicted, hub: self, credential: credential, force: takeover) else { return nil }
        if created {
            for observer in observers.withLock({ $0 }) { observer(stream) }
        }
        return publisher
    }

    private static func streamLocked(_ s: inout State, _ path: String, derived: Bool = false) -> (LiveStream, Bool) {
        if let existing = s.streams[path] { return (existing, false) }
        let stream = LiveStream(path: path, isDerived: derived)
        s.streams[path] = stream
        return (stream, true)
    }

    private static func overlap(_ path: StreamPath, claimed: Set<String>, inUse: [String]) -> PublishRefusal? {
        for other in claimed where path.collides(with: other) { return .overlaps(path: path.value, inUse: other) }
        for other in inUse where path.collides(with: other) { return .overlaps(path: path.value, inUse: other) }
        return nil
    }

    /// The live stream at `path`, if someone publishes there.
    public func stream(_ path: String) -> LiveStream? {
        state.withLock { $0.streams[path] }
    }

    /// The server's own renditions of `path` (`<path>/<rung>`, from the transcoder) that carry
    /// video, by falling bitrate (then height): the ladder a relay player can move along.
    public func renditions(of path: String) -> [LiveStream] {
        let prefix = path + "/"
        let candidates = state.withLock { s in
            s.streams.values.filter { $0.isDerived && $0.path.hasPrefix(prefix) && !$0.path.dropFirst(prefix.count).contains("/") }
        }
        let rated = candidates.compactMap { stream -> (LiveStream, Int, Int)? in
            guard let video = stream.tracks.first(where: { $0.kind == .video }) else { return nil }
            return (stream, video.bitrate ?? 0, video.height)
        }
        return rated.sorted { ($0.1, $0.2, $1.0.path) > ($1.1, $1.2, $0.0.path) }.map(\.0)
    }

    /// Stops every network publisher (graceful shutdown): each is told `reason` and closed.
    /// Returns how many were asked.
    @discardableResult
    public func stopPublishers(reason: String) -> Int {
        let streams = state.withLock { Array($0.streams.values) }.filter { !$0.isDerived }
        return streams.reduce(0) { $0 + ($1.stopPublisher(reason: reason) ? 1 : 0) }
    }

    public var paths: [String] { state.withLock { Array($0.streams.keys).sorted() } }

    /// Runs `observer` for every stream that appears from now on (e.g. to start a transcoder).
    public func onNewStream(_ observer: @escaping @Sendable (LiveStream) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func remove(_ stream: LiveStream) {
        state.withLock { s in
            if s.streams[stream.path] === stream {
                s.streams[stream.path] = nil
                s.claimed.remove(stream.path)
            }
        }
    }
}
