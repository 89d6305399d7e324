import Logging
import MediaCore
import Synchronization

/// The LL-HLS output of one live path (`<app>/<stream>`): its renditions, fed by the source
/// reader and the transcoder, and its multivariant playlist.
public final class HLSStream: Sendable {
    public let path: String
    public let configuration: HLSConfiguration
    private let clock: any HLSClock
    private let logger: Logger
    private let board = RenditionReportBoard()
    /// The stream's timed events (`POST /api/v1/streams/{path}/events`): every rendition puts
    /// them into its parts and playlists; `events.all` is the read accessor for anything that
    /// renders them later (a recording).
    public let events = EventStore()
    private let renditions = Mutex<[HLSRendition]>([])
    private let sweeper = Mutex<Task<Void, Never>?>(nil)
    private let ended = Atomic<Bool>(false)
    /// Called when a rendition publishes its first part (the registry wakes early viewers).
    private let onFirstPart: @Sendable () -> Void
    /// Called for each part published: rendition name, first unit's ingest wall clock (µs).
    private let onPart: (@Sendable (String, Int64) -> Void)?
    /// The recorder's tap: every completed segment of every rendition, then `.ended`.
    private let segmentObserver = CallbackSlot<SegmentEvent>()

    public convenience init(path: String, configuration: HLSConfiguration = HLSConfiguration(),
                            clock: any HLSClock = ContinuousHLSClock(), logger: Logger = Logger(label: "sluice.hls")) {
        self.init(path: path, configuration: configuration, clock: clock, logger: logger, onFirstPart: {})
    }

    init(path: String, configuration: HLSConfiguration, clock: any HLSClock, logger: Logger,
         onFirstPart: @escaping @Sendable () -> Void, onPart: (@Sendable (String, Int64) -> Void)? = nil) {
        self.onFirstPart = onFirstPart
        self.onPart = onPart
        self.path = path
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        // One timer per stream answers expired blocking requests (not one timer per request).
        let task = Task { [weak self, clock] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: .milliseconds(100)) } catch { return }
                guard let self else { return }
                self.expireWaiters()
            }
        }
        sweeper.withLock { $0 = task }
    }

    deinit {
        sweeper.withLock { $0?.cancel() }
    }

    /// Sets (or with nil removes) the observer of completed segments. Called on the packager's
    /// threads: it must only hand the segment off (a bounded queue), never write to disk.
    public func observeSegments(_ observer: (@Sendable (SegmentEvent) -> Void)?) {
        segmentObserver.set(observer)
    }

    /// Adds the rendition `name` (or updates its tracks). `tracks`: at most one video and one
    /// audio track; a rendition with only audio is an audio-only variant.
    @discardableResult
    public func rendition(name: String, tracks: [TrackInfo], isSource: Bool = false) throws -> HLSRendition {
        if let existing = rendition(named: name) {
            try existing.setTracks(tracks)
            return existing
        }
        var partObserver: (@Sendable (Int64) -> Void)?
        if let onPart { partObserver = { wallClock in onPart(name, wallClock) } }
        return renditions.withLock { list in
            if let existing = list.first(where: { $0.name == name }) { return existing }
            let r = HLSRendition(name: name, tracks: tracks, isSource: isSource, configuration: configuration,
                                 clock: clock, board: board, logger: logger, onFirstPart: onFirstPart, onPart: partObserver,
                                 onSegment: { [weak self] segment in self?.segmentObserver.callback?(.segment(segment)) },
                                 events: events)
            list.append(r)
            return r
        }
    }

    public func rendition(named name: String) -> HLSRendition? {
        renditions.withLock { $0.first { $0.name == name } }
    }

    public var allRenditions: [HLSRendition] { renditions.withLock { $0 } }

    /// After `end()` the stream takes no more media; a new publisher gets a new stream.
    public var isEnded: Bool { ended.load(ordering: .relaxed) }

    /// Muxes `unit` into rendition `rendition` on the calling thread (see `HLSRendition.write`).
    public func write(rendition name: String, unit: MediaUnit) throws {
        guard let r = rendition(named: name) else { return }
        try r.write(unit)
    }

    /// A new publisher took over: every rendition continues after EXT-X-DISCONTINUITY.
    public func discontinuity() throws {
        for r in allRenditions { try r.discontinuity() }
    }

    /// The stream ended: ENDLIST everywhere, held requests answered.
    public func end() {
        ended.store(true, ordering: .relaxed)
        for r in allRenditions { r.end() }
        segmentObserver.callback?(.ended)
        sweeper.withLock { $0?.cancel(); $0 = nil }
    }

    /// The multivariant playlist once every rendition has a part (bounded by the block
    /// timeout: then it lists what exists). nil without any rendition that has media.
    public func multivariantPlaylist() async -> PlaylistBody? {
        await withCheckedContinuation { c in multivariantPlaylist { c.resume(returning: $0) } }
    }

    /// The same, answered through `reply` (on the thread that completes the wait).
    public func multivariantPlaylist(reply: @escaping @Sendable (PlaylistBody?) -> Void) {
        renditionsWithMedia { ready in
            reply(ready.isEmpty ? nil : PlaylistBody(MultivariantPlaylist.render(ready.map(\.info),
                                                                                 startBandwidth: self.configuration.startBandwidth)))
        }
    }

    /// The MPEG-TS multivariant playlist (legacy players); nil when legacy output is off.
    public func legacyMultivariantPlaylist(reply: @escaping @Sendable (PlaylistBody?) -> Void) {
        guard configuration.legacyTS else { return reply(nil) }
        renditionsWithMedia { ready in
            reply(ready.isEmpty ? nil : PlaylistBody(LegacyPlaylist.multivariant(ready.map(\.info))))
        }
    }

    /// The renditions that have a complete segment, once each has one or the block timeout
    /// passed. All renditions wait at once, so the bound is one block timeout, not one per
    /// rendition. A player that starts from a multivariant playlist thus never sees a media
    /// playlist of parts only, which hls.js takes as empty (levelEmptyError) and then joins
    /// with a hole; only a show's first seconds wait for it.
    private func renditionsWithMedia(_ done: @escaping @Sendable ([HLSRendition]) -> Void) {
        let list = allRenditions
        guard !list.isEmpty else { return done([]) }
        let gather = Gather(count: list.count)
        for (i, r) in list.enumerated() {
            r.waitForFirstSegment { ready in
                guard let ok = gather.record(i, ready) else { return }
                done(list.enumerated().filter { ok[$0.offset] }.map(\.element))
            }
        }
    }

    /// Collects one answer per rendition; the last one gets them all.
    private final class Gather: Sendable {
        private let state: Mutex<(remaining: Int, ok: [Bool])>
        init(count: Int) { state = Mutex((count, [Bool](repeating: false, count: count))) }
        func record(_ i: Int, _ ready: Bool) -> [Bool]? {
            state.withLock { s in
                s.ok[i] = ready
                s.remaining -= 1
                return s.remaining == 0 ? s.ok : nil
            }
        }
    }

    /// Answers held requests whose deadline passed (the timer calls it; tests may too).
    public func expireWaiters() {
        for r in allRenditions { r.expireWaiters() }
    }
}
