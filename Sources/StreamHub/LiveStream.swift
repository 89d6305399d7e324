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
        /// The current publisher's protocol ("rtmp", "srt"), for metrics.
        var transport = ""
        var players: [Int: PlayerStatus] = [:]
        var departedPlayers = PlayerAdaptationTotals()
        var publisherInfo: PublisherInfo?
        /// Closes the current publisher's connection with a reason (kick, shutdown).
        var stopPublisher: (@Sendable (String) -> Void)?
        var rate = IngestRateWindow()
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
    /// The current publisher's transport, address and start; nil without one (or before it said).
    public var publisherInfo: PublisherInfo? { state.withLock { $0.publisherEvicted == nil ? nil : $0.publisherInfo } }
    /// What the current publisher sent over the last ~2 s.
    public var ingestRate: IngestRate {
        let now = ContinuousClock.now
        return state.withLock { $0.publisherEvicted == nil ? IngestRate() : $0.rate.rate(now: now) }
    }
    /// Units the current readers (HLS feed, transcoder, players) lost to a full queue.
    public var readersLost: Int { state.withLock { s in s.readers.values.reduce(0) { $0 + $1.lost } } }

    /// Asks the current publisher to stop (its connection is closed, with `reason` where the
    /// protocol can say one). False when there is no publisher or it cannot be stopped.
    @discardableResult
    public func stopPublisher(reason: String) -> Bool {
        guard let stop = state.withLock({ $0.publisherEvicted == nil ? nil : $0.stopPublisher }) else { return false }
        stop(reason)
        return true
    }

    /// The current (or last) publisher's protocol, "" if it did not say.
    public var transport: String { state.withLock { $0.transport } }
    /// Units, bytes and protocol in one read (the metrics collector's scrape).
    public var ingestCounters: (units: Int, bytes: Int, transport: String) {
        state.withLock { ($0.unitsIn, $0.bytesIn, $0.transport) }
    }

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
    /// The relay players with their keys (analytics tells a player that left from one that stayed).
    public var playersByID: [(id: Int, status: PlayerStatus)] { state.withLock { s in s.players.map { ($0.key, $0.value) } } }
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
            s.publisherInfo = nil
            s.stopPublisher = nil
            s.rate = IngestRateWindow()
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

    func describe(_ info: PublisherInfo, stop: @escaping @Sendable (String) -> Void, publisher: Int) {
        state.withLock { s in
            guard s.publisherID == publisher else { return }
            s.publisherInfo = info
            s.transport = info.transport // kept after the publisher leaves, for metrics
            s.stopPublisher = stop
        }
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
        let now = ContinuousClock.now
        let readers = state.withLock { s -> [ReaderQueue]? in
            guard s.publisherID == publisher else { return nil }
            s.unitsIn += 1
            s.bytesIn += unit.data.readableBytes
            s.rate.add(video: unit.track == .video, bytes: unit.data.readableBytes, now: now)
            if unit.track == .video && unit.isKeyframe {
                s.gop.removeAll(keepingCapacity: true)
                s.gopBytes = 0
            }
            // An audio-only stream (the ladder's Opus rendition) has no GOP: a new reader starts now.
            let audioOnly = !s.tracks.isEmpty && !s.tracks.contains { $0.kind == .video }
            if !audioOnly, s.gopBytes + unit.data.readableBytes <= Self.maxCachedBytes {
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
            s.stopPublisher = nil
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
