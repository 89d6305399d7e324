import MediaCore
import Synchronization

/// One path's stream: the current publisher, the readers, and what a new reader needs to
/// start at once (tracks and the units since the last video keyframe).
public final class LiveStream: Sendable {
    public let path: String
    /// A stream the server publishes itself (a transcoder rendition at `<path>/<rung>`), not a
    /// publisher from the network: it gets no pipeline of its own.
    public let isDerived: Bool
    private let state = Mutex(State())

    /// Cap on the GOP cache; a source with absurd GOPs starts readers at the next keyframe instead.
    static let maxCachedBytes = 16 << 20

    struct State {
        var tracks: [TrackInfo] = []
        var metadata: [String: String] = [:]
        var gop: [MediaUnit] = []
        var gopBytes = 0
        var readers: [ObjectIdentifier: ReaderQueue] = [:]
        var publisherID = 0
        var publisherEvicted: (@Sendable () -> Void)?
        /// What the live publisher proved (see `StreamHub.publish`).
        var publisherCredential: String?
        var ended = false
        var unitsIn = 0
        var bytesIn = 0
        var players: [Int: PlayerStatus] = [:]
        var departedPlayers = PlayerAdaptationTotals()
    }

    init(path: String, isDerived: Bool = false) {
        self.path = path
        self.isDerived = isDerived
    }

    public var tracks: [TrackInfo] { state.withLock { $0.tracks } }
    public var hasPublisher: Bool { state.withLock { $0.publisherEvicted != nil } }
    public var readerCount: Int { state.withLock { $0.readers.count } }
    public var unitsIn: Int { state.withLock { $0.unitsIn } }
    public var bytesIn: Int { state.withLock { $0.bytesIn } }

    /// A reader: gets the tracks and the cached GOP at once, then live media. Returns nil if
    /// the stream has ended.
    /// With `fromNextKeyframe` the cached GOP is left out: the reader starts at the next video
    /// keyframe (a player switching renditions must not queue a GOP it is already behind on).
    public func subscribe(capacity: Int = 512, byteCapacity: Int = ReaderQueue.defaultByteCapacity,
                          fromNextKeyframe: Bool = false) -> ReaderQueue? {
        let queue = ReaderQueue(capacity: capacity, byteCapacity: byteCapacity)
        let ok = state.withLock { s -> Bool in
            if s.ended { return false }
            if !s.tracks.isEmpty { queue.push(.tracks(s.tracks)) }
            if !s.metadata.isEmpty { queue.push(.metadata(s.metadata)) }
            if !fromNextKeyframe { for unit in s.gop { queue.push(.unit(unit)) } }
            s.readers[ObjectIdentifier(queue)] = queue
            return true
        }
        return ok ? queue : nil
    }

    public func unsubscribe(_ queue: ReaderQueue) {
        state.withLock { _ = $0.readers.removeValue(forKey: ObjectIdentifier(queue)) }
        queue.close()
    }

    /// The relay players of this path and what their send-delay controllers did.
    public var players: [PlayerStatus] { state.withLock { s in s.players.keys.sorted().compactMap { s.players[$0] } } }

    /// Moves and skips of every player this stream had, current and departed.
    public var playerTotals: PlayerAdaptationTotals {
        state.withLock { s in
            var t = s.departedPlayers
            for p in s.players.values { t.add(p) }
            return t
        }
    }

    /// A player reports its state (`id` from `LiveStream.newPlayerID()`); nil when it leaves.
    public func reportPlayer(_ id: Int, _ status: PlayerStatus?) {
        state.withLock { s in
            if let status {
                s.players[id] = status
            } else if let gone = s.players.removeValue(forKey: id) {
                s.departedPlayers.add(gone)
            }
        }
    }

    private static let playerIDs = Atomic<Int>(0)

    /// A process-wide unique key for `reportPlayer`.
    public static func newPlayerID() -> Int { playerIDs.add(1, ordering: .relaxed).newValue }

    /// Whether a publisher with `credential` may take over now: the path is free, or it proves
    /// what the live publisher proved.
    func admitsPublisher(credential: String?) -> Bool {
        state.withLock { Self.admits($0, credential) }
    }

    private static func admits(_ s: State, _ credential: String?) -> Bool {
        s.publisherEvicted == nil || (credential != nil && s.publisherCredential == credential)
    }

    /// nil when the path is live and `credential` does not match the live publisher's (unless `force`).
    func attach(onEvicted: @escaping @Sendable () -> Void, hub: StreamHub, credential: String? = nil, force: Bool = true) -> Publisher? {
        let attached = state.withLock { s -> (Int, (@Sendable () -> Void)?, [ReaderQueue])? in
            guard force || Self.admits(s, credential) else { return nil }
            let prev = s.publisherEvicted
            s.publisherCredential = credential
            s.publisherID += 1
            s.publisherEvicted = onEvicted
            s.gop.removeAll()
            s.gopBytes = 0
            return (s.publisherID, prev, prev == nil ? [] : Array(s.readers.values))
        }
        guard let (id, previous, readers) = attached else { return nil }
        if let previous {
            previous()
            for r in readers { r.push(.discontinuity) }
        }
        return Publisher(stream: self, id: id, hub: hub)
    }

    func setTracks(_ tracks: [TrackInfo], publisher: Int) {
        let readers = state.withLock { s -> [ReaderQueue] in
            guard s.publisherID == publisher, s.tracks != tracks else { return [] }
            s.tracks = tracks
            return Array(s.readers.values)
        }
        for r in readers { r.push(.tracks(tracks)) }
    }

    func setMetadata(_ metadata: [String: String], publisher: Int) {
        let readers = state.withLock { s -> [ReaderQueue] in
            guard s.publisherID == publisher, s.metadata != metadata else { return [] }
            s.metadata = metadata
            return Array(s.readers.values)
        }
        for r in readers { r.push(.metadata(metadata)) }
    }

    func write(_ unit: MediaUnit, publisher: Int) -> Bool {
        let readers = state.withLock { s -> [ReaderQueue]? in
            guard s.publisherID == publisher else { return nil }
            s.unitsIn += 1
            s.bytesIn += unit.data.readableBytes
            if unit.track == .video && unit.isKeyframe {
                s.gop.removeAll(keepingCapacity: true)
                s.gopBytes = 0
            }
            if s.gopBytes + unit.data.readableBytes <= Self.maxCachedBytes {
                s.gop.append(unit)
                s.gopBytes += unit.data.readableBytes
            }
            return Array(s.readers.values)
        }
        guard let readers else { return false }
        for r in readers { r.push(.unit(unit)) }
        return true
    }

    /// The publisher left: readers are closed and the path is freed.
    func end(publisher: Int, hub: StreamHub) {
        let readers = state.withLock { s -> [ReaderQueue]? in
            guard s.publisherID == publisher else { return nil }
            s.ended = true
            s.publisherEvicted = nil
            s.publisherCredential = nil
            let r = Array(s.readers.values)
            s.readers.removeAll()
            return r
        }
        guard let readers else { return }
        hub.remove(self)
        for r in readers { r.close() }
    }
}
