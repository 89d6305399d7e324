import Logging
import MediaCore
import NIOCore
import Synchronization

/// One rendition of a stream: the writer side cuts parts on the caller's thread (a packager
/// or codec thread, never an event loop), the serving side answers playlists and media,
/// holding blocking requests until the part they wait for lands.
public final class HLSRendition: Sendable {
    public let name: String
    public let isSource: Bool
    public let configuration: HLSConfiguration
    private let clock: any HLSClock
    private let board: RenditionReportBoard
    private let logger: Logger
    private let writer: Mutex<WriterState>
    private let state: Mutex<ServeState>

    struct WriterState {
        var tracks: [TrackInfo]
        /// nil until the first unit after (re)configuration.
        var segmenter: Segmenter?
    }

    struct Waiter {
        enum Kind {
            case playlist(PlaylistRequest)
            case part(Int)
        }
        var kind: Kind
        var deadline: Duration
        var continuation: CheckedContinuation<Bool, Never>
    }

    struct ServeState {
        var timeline: RenditionTimeline
        var tracks: [TrackInfo]
        /// Rendered playlists of the current timeline: [full, delta, legacy]. Cleared by each new part.
        var cache: [PlaylistBody?] = [nil, nil, nil]
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0

        func satisfied(_ kind: Waiter.Kind) -> Bool {
            switch kind {
            case .playlist(let r): r.decide(timeline) != .wait
            case .part(let id): timeline.ended || id < timeline.nextPartID
            }
        }
    }

    init(name: String, tracks: [TrackInfo], isSource: Bool, configuration: HLSConfiguration,
         clock: any HLSClock, board: RenditionReportBoard, logger: Logger) {
        self.name = name
        self.isSource = isSource
        self.configuration = configuration
        self.clock = clock
        self.board = board
        self.logger = logger
        writer = Mutex(WriterState(tracks: tracks))
        state = Mutex(ServeState(timeline: RenditionTimeline(configuration: configuration), tracks: tracks))
    }

    // MARK: writer side (packager thread)

    /// New codec parameters. A change closes the open segment; the next one gets a new init
    /// segment and a discontinuity.
    public func setTracks(_ tracks: [TrackInfo]) throws {
        try writer.withLock { w in
            guard w.tracks != tracks else { return }
            try closeSegmenter(&w)
            w.tracks = tracks
            state.withLock { $0.tracks = tracks; $0.timeline.markDiscontinuity() }
        }
    }

    /// Muxes one unit (libavformat work on the calling thread); publishes the part it completes.
    /// Ignored after `end()`.
    public func write(_ unit: MediaUnit) throws {
        if isEnded { return }
        let part = try writer.withLock { w -> CutPart? in
            do {
                return try segmenter(&w).write(unit)
            } catch is Segmenter.TimestampsWentBack {
                // A source that restarts its timestamps without a new publisher: same as a reconnect.
                logger.info("hls \(name): timestamps went back; discontinuity")
                try closeSegmenter(&w)
                state.withLock { $0.timeline.markDiscontinuity() }
                return try segmenter(&w).write(unit)
            }
        }
        if let part { publish(part) }
    }

    private func segmenter(_ w: inout WriterState) throws -> Segmenter {
        if let s = w.segmenter { return s }
        let s = try Segmenter(tracks: w.tracks, configuration: configuration)
        state.withLock { _ = $0.timeline.addInit(s.initSegment) }
        w.segmenter = s
        return s
    }

    /// The publisher restarted (timestamps restart): close the open segment; the next starts
    /// with EXT-X-DISCONTINUITY and a new init segment. Sequence numbers continue.
    public func discontinuity() throws {
        try writer.withLock { w in try closeSegmenter(&w) }
        let ready = state.withLock { s in
            s.timeline.markDiscontinuity()
            s.cache = [nil, nil, nil]
            return takeSatisfied(&s)
        }
        for c in ready { c.resume(returning: true) }
    }

    /// The stream ended: last part published, ENDLIST, every held request answered.
    public func end() {
        do {
            try writer.withLock { w in try closeSegmenter(&w) }
        } catch {
            logger.warning("hls: closing \(name): \(error)")
        }
        let ready = state.withLock { s in
            s.timeline.end()
            s.cache = [nil, nil, nil]
            return takeSatisfied(&s)
        }
        for c in ready { c.resume(returning: true) }
    }

    private func closeSegmenter(_ w: inout WriterState) throws {
        guard let segmenter = w.segmenter else { return }
        w.segmenter = nil
        if let last = try segmenter.finish() { publish(last) }
        state.withLock { $0.timeline.closeSegment() }
    }

    private func publish(_ cut: CutPart) {
        let published = state.withLock { s -> (Part, [CheckedContinuation<Bool, Never>])? in
            guard !s.timeline.ended else { return nil } // a write racing end(): dropped
            let part = s.timeline.add(cut)
            s.cache = [nil, nil, nil]
            return (part, takeSatisfied(&s))
        }
        guard let (part, ready) = published else { return }
        board.update(name, msn: part.msn, part: part.index)
        for c in ready { c.resume(returning: true) }
    }

    private func takeSatisfied(_ s: inout ServeState) -> [CheckedContinuation<Bool, Never>] {
        var ready: [CheckedContinuation<Bool, Never>] = []
        for (id, w) in s.waiters where s.satisfied(w.kind) {
            ready.append(w.continuation)
            s.waiters[id] = nil
        }
        return ready
    }

    // MARK: serving side

    /// The media playlist for `request`, held until the requested part exists.
    public func playlist(_ request: PlaylistRequest) async -> HLSResponse<PlaylistBody> {
        if case .badRequest(let why) = state.withLock({ request.decide($0.timeline) }) { return .badRequest(why) }
        guard await wait(.playlist(request)) else { return .unavailable }
        return state.withLock { s in
            if case .badRequest(let why) = request.decide(s.timeline) { return .badRequest(why) }
            let skip = request.skip && !s.timeline.ended ? 1 : 0
            if let body = s.cache[skip] { return .ok(body) }
            let body = PlaylistBody(MediaPlaylist.render(s.timeline, skip: skip == 1, reports: board.reports(except: name)))
            s.cache[skip] = body
            return .ok(body)
        }
    }

    /// A part by id: at once if published, held if it is the hinted next part, else 404.
    public func part(id: Int) async -> HLSResponse<ByteBuffer> {
        let hinted = state.withLock { s -> Bool? in
            if id < s.timeline.nextPartID { return false }
            return id == s.timeline.nextPartID && !s.timeline.ended ? true : nil
        }
        guard let hinted else { return .notFound }
        if hinted, !(await wait(.part(id))) { return .unavailable }
        return state.withLock { s in s.timeline.part(id: id).map { .ok($0.data) } ?? .notFound }
    }

    /// The plain-HLS MPEG-TS playlist (complete segments only, never blocks); nil when legacy output is off.
    public func legacyPlaylist() -> PlaylistBody? {
        guard configuration.legacyTS else { return nil }
        return state.withLock { s in
            if let body = s.cache[2] { return body }
            let body = PlaylistBody(LegacyPlaylist.media(s.timeline))
            s.cache[2] = body
            return body
        }
    }

    public func legacySegment(msn: Int) -> ByteBuffer? {
        state.withLock { $0.timeline.legacySegment(msn: msn) }
    }

    public func segment(msn: Int) -> ByteBuffer? {
        state.withLock { $0.timeline.segment(msn: msn)?.data }
    }

    public func initSegment(id: Int) -> ByteBuffer? {
        state.withLock { $0.timeline.inits[id] }
    }

    public var isEnded: Bool { state.withLock { $0.timeline.ended } }

    /// A copy of the published state (for tests and diagnostics).
    public var timeline: RenditionTimeline { state.withLock { $0.timeline } }

    /// Waits (bounded) until the rendition has a part, for the multivariant playlist.
    func waitForFirstPart() async -> Bool {
        await wait(.playlist(PlaylistRequest()))
    }

    /// Held requests whose deadline passed answer 503.
    func expireWaiters() {
        let now = clock.now()
        let expired = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            var out: [CheckedContinuation<Bool, Never>] = []
            for (id, w) in s.waiters where w.deadline <= now {
                out.append(w.continuation)
                s.waiters[id] = nil
            }
            return out
        }
        for c in expired { c.resume(returning: false) }
    }

    /// Requests currently held (blocking reloads and hinted parts).
    public var heldRequestCount: Int { state.withLock { $0.waiters.count } }

    /// True once `kind` is satisfied, false if the block timeout passed first.
    private func wait(_ kind: Waiter.Kind) async -> Bool {
        let deadline = clock.now() + .milliseconds(Int64(configuration.blockTimeout * 1000))
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let now = state.withLock { s -> Bool in
                if s.satisfied(kind) { return true }
                s.waiters[s.nextWaiter] = Waiter(kind: kind, deadline: deadline, continuation: c)
                s.nextWaiter += 1
                return false
            }
            if now { c.resume(returning: true) }
        }
    }

    /// Tracks and measured rates for the multivariant playlist.
    public var info: RenditionInfo {
        state.withLock { s in
            let t = s.timeline
            let complete = t.segments.filter { $0.complete && $0.duration > 0 }
            let measured = complete.isEmpty ? t.segments.filter { $0.duration > 0 } : complete
            var peak = 0.0, bytes = 0, seconds = 0.0, frames = 0
            for seg in measured {
                peak = max(peak, Double(seg.byteCount * 8) / seg.duration)
                bytes += seg.byteCount
                seconds += seg.duration
                frames += seg.videoSamples
            }
            let declared = s.tracks.compactMap(\.bitrate).reduce(0, +)
            let average = seconds > 0 ? Int(Double(bytes * 8) / seconds) : declared
            let hasVideo = s.tracks.contains { $0.kind == .video }
            var rate: Double? = nil
            if hasVideo {
                if let r = s.tracks.first(where: { $0.kind == .video })?.frameRate, r.num > 0, r.den > 0 {
                    rate = Double(r.num) / Double(r.den)
                } else if seconds > 0, frames > 0 {
                    rate = Double(frames) / seconds
                }
            }
            return RenditionInfo(name: name, tracks: s.tracks, isSource: isSource,
                                 peakBandwidth: max(Int(peak), average), averageBandwidth: average, frameRate: rate)
        }
    }
}
