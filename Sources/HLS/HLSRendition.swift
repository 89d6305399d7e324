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
    /// Called once, after the first part is published (the stream became playable).
    private let onFirstPart: @Sendable () -> Void
    /// Called for each part published, with its first unit's ingest wall clock (µs).
    private let onPart: (@Sendable (Int64) -> Void)?
    /// Media requests the origin answered for this rendition.
    public let requests = RenditionRequests()
    /// Tests only: runs between cutting parts and publishing them.
    let afterCut: (@Sendable () -> Void)?
    /// Called for each segment completed, in order, outside the locks (the recorder's tap).
    private let onSegment: (@Sendable (CompletedSegment) -> Void)?
    /// The stream's timed events, put into the parts that hold their frames.
    let events: EventStore?

    struct WriterState {
        var tracks: [TrackInfo]
        /// nil until the first unit after (re)configuration.
        var segmenter: Segmenter?
        /// Sequences of the events this rendition has put into a part.
        var emitted: Set<UInt32> = []
        /// Presented start of this rendition's first part: events before it are not its own.
        var firstStart: Double?
    }

    struct Waiter {
        enum Kind {
            case playlist(PlaylistRequest)
            case part(Int)
        }
        var kind: Kind
        var deadline: Duration
        /// Called once, outside the lock, on the thread that satisfied or expired the wait.
        var done: @Sendable (Bool) -> Void
    }

    struct ServeState {
        var timeline: RenditionTimeline
        var tracks: [TrackInfo]
        /// Rendered playlists of the current timeline: [full, delta, legacy]. Cleared by each new part.
        var cache: [PlaylistBody?] = [nil, nil, nil]
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        /// Newest msn handed to `onSegment`.
        var reported = -1

        func satisfied(_ kind: Waiter.Kind) -> Bool {
            switch kind {
            case .playlist(let r): r.decide(timeline) != .wait
            case .part(let id): timeline.ended || id < timeline.nextPartID
            }
        }
    }

    init(name: String, tracks: [TrackInfo], isSource: Bool, configuration: HLSConfiguration,
         clock: any HLSClock, board: RenditionReportBoard, logger: Logger,
         onFirstPart: @escaping @Sendable () -> Void = {}, onPart: (@Sendable (Int64) -> Void)? = nil,
         afterCut: (@Sendable () -> Void)? = nil, onSegment: (@Sendable (CompletedSegment) -> Void)? = nil,
         events: EventStore? = nil) {
        self.onSegment = onSegment
        self.events = events
        self.onFirstPart = onFirstPart
        self.onPart = onPart
        self.afterCut = afterCut
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
        let ready = try writer.withLock { w -> Published in
            guard w.tracks != tracks else { return Published() }
            var ready = try closeSegmenter(&w)
            w.tracks = tracks
            ready.segments += state.withLock { s in
                s.timeline.markDiscontinuity()
                let done = takeCompleted(&s)
                s.tracks = tracks
                return done
            }
            return ready
        }
        ready.notify(self)
    }

    /// Muxes one unit (libavformat work on the calling thread); publishes the parts it completes.
    /// Ignored after `end()`. Cutting and publishing are one step under the writer lock: a
    /// rung's encoder and the audio thread both write here, and a part cut first must be
    /// published first.
    public func write(_ unit: MediaUnit) throws {
        if isEnded { return }
        if isSource, unit.track == .video, let events { events.recordFrame(pts: unit.ptsSeconds, wallClock: unit.ingestWallClock) }
        let ready = try writer.withLock { w -> Published in
            var parts: [CutPart]
            do {
                parts = try segmenter(&w).write(unit)
            } catch is Segmenter.TimestampsWentBack {
                // A source that restarts its timestamps without a new publisher: same as a reconnect.
                logger.info("hls \(name): timestamps went back; discontinuity")
                if isSource { events?.forgetFrames() }
                var ready = try closeSegmenter(&w)
                forgetEvents(&w)
                ready.segments += state.withLock { s in
                    s.timeline.markDiscontinuity()
                    return takeCompleted(&s)
                }
                parts = try segmenter(&w).write(unit)
                attachEvents(&parts, &w)
                ready.publish(parts, into: self)
                return ready
            }
            var ready = Published()
            attachEvents(&parts, &w)
            if !parts.isEmpty { afterCut?() }
            ready.publish(parts, into: self)
            return ready
        }
        ready.notify(self)
    }

    /// Puts each event not yet carried into the first part whose presented end is past the
    /// event's time: the part holding its frame, or (for an event that came late) the next one.
    /// The emsg boxes go before the part's moof; their time is absolute, so the player pins the
    /// event to the frame wherever the box travels.
    private func attachEvents(_ parts: inout [CutPart], _ w: inout WriterState) {
        guard let events, !parts.isEmpty, let timescale = w.segmenter?.eventTimescale else { return }
        if w.firstStart == nil { w.firstStart = parts[0].start }
        let all = events.all
        guard all.contains(where: { !w.emitted.contains($0.sequence) }) else { return }
        let floor = w.firstStart ?? 0
        for i in parts.indices {
            let due = all.filter { !w.emitted.contains($0.sequence) && $0.pts >= floor && $0.pts < parts[i].end }
            guard !due.isEmpty else { continue }
            var data = ByteBuffer()
            for e in due.sorted(by: { $0.pts < $1.pts }) {
                data.writeBytes(e.eventMessage(timescale: timescale).bytes)
                w.emitted.insert(e.sequence)
            }
            data.writeImmutableBuffer(parts[i].data)
            parts[i].data = data
            parts[i].events = due
        }
        // Forget what the store no longer keeps.
        if w.emitted.count > 2 * events.limits.capacity { w.emitted.formIntersection(all.map(\.sequence)) }
    }

    /// The timeline restarts: events pinned to the old one are not carried into the new one.
    private func forgetEvents(_ w: inout WriterState) {
        w.firstStart = nil
        if let events { w.emitted = Set(events.all.map(\.sequence)) }
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
        if isSource { events?.forgetFrames() }
        var ready = try writer.withLock { w in
            let ready = try closeSegmenter(&w)
            forgetEvents(&w)
            return ready
        }
        let (waiters, segments) = state.withLock { s in
            s.timeline.markDiscontinuity()
            s.cache = [nil, nil, nil]
            return (takeSatisfied(&s), takeCompleted(&s))
        }
        ready.waiters += waiters
        ready.segments += segments
        ready.notify(self)
    }

    /// The stream ended: last part published, ENDLIST, every held request answered.
    public func end() {
        var ready = Published()
        do {
            ready = try writer.withLock { w in try closeSegmenter(&w) }
        } catch {
            logger.warning("hls: closing \(name): \(error)")
        }
        let (waiters, segments) = state.withLock { s in
            s.timeline.end()
            s.cache = [nil, nil, nil]
            return (takeSatisfied(&s), takeCompleted(&s))
        }
        ready.waiters += waiters
        ready.segments += segments
        ready.notify(self)
    }

    /// Publishes the open segment's last parts; the caller holds the writer lock.
    private func closeSegmenter(_ w: inout WriterState) throws -> Published {
        guard let segmenter = w.segmenter else { return Published() }
        var parts = try segmenter.finish()
        attachEvents(&parts, &w)
        w.segmenter = nil
        var ready = Published()
        ready.publish(parts, into: self)
        ready.segments += state.withLock { s in
            s.timeline.closeSegment()
            return takeCompleted(&s)
        }
        return ready
    }

    /// What publishing left to do outside the locks: held requests to answer, and whether the
    /// rendition just got its first part.
    private struct Published {
        var waiters: [@Sendable (Bool) -> Void] = []
        var first = false
        /// Ingest wall clocks of the parts published, for `onPart`.
        var wallClocks: [Int64] = []
        /// Segments completed, for `onSegment`.
        var segments: [CompletedSegment] = []

        mutating func publish(_ parts: [CutPart], into r: HLSRendition) {
            for cut in parts {
                let published = r.state.withLock { s -> (Part, [@Sendable (Bool) -> Void], [CompletedSegment])? in
                    guard !s.timeline.ended else { return nil } // a write racing end(): dropped
                    let part = s.timeline.add(cut)
                    s.cache = [nil, nil, nil]
                    return (part, r.takeSatisfied(&s), r.takeCompleted(&s))
                }
                guard let (part, ready, completed) = published else { continue }
                segments += completed
                r.board.update(r.name, msn: part.msn, part: part.index)
                waiters += ready
                if r.onPart != nil { wallClocks.append(cut.wallClock) }
                if part.id == 0 { first = true }
            }
        }

        func notify(_ r: HLSRendition) {
            for done in waiters { done(true) }
            if let onPart = r.onPart { for w in wallClocks { onPart(w) } }
            if first { r.onFirstPart() }
            if let onSegment = r.onSegment { for s in segments { onSegment(s) } }
        }
    }

    /// Segments completed since the last call, oldest first (a few at most: scanned from the newest).
    private func takeCompleted(_ s: inout ServeState) -> [CompletedSegment] {
        guard onSegment != nil else { return [] }
        var out: [CompletedSegment] = []
        for seg in s.timeline.segments.reversed() {
            if seg.msn <= s.reported { break }
            guard seg.complete else { continue }
            out.append(CompletedSegment(rendition: name, segment: seg, initData: s.timeline.inits[seg.initID] ?? ByteBuffer(),
                                        tracks: s.tracks))
        }
        if let newest = out.first { s.reported = newest.segment.msn }
        return out.reversed()
    }

    private func takeSatisfied(_ s: inout ServeState) -> [@Sendable (Bool) -> Void] {
        var ready: [@Sendable (Bool) -> Void] = []
        for (id, w) in s.waiters where s.satisfied(w.kind) {
            ready.append(w.done)
            s.waiters[id] = nil
        }
        return ready
    }

    // MARK: serving side

    /// The media playlist for `request`, held until the requested part exists.
    public func playlist(_ request: PlaylistRequest) async -> HLSResponse<PlaylistBody> {
        await withCheckedContinuation { c in playlist(request) { c.resume(returning: $0) } }
    }

    /// The same, answered through `reply`: at once, or later on the thread that publishes the
    /// awaited part (or the sweeper's, on timeout). Lets an event loop hold a request without a task.
    public func playlist(_ request: PlaylistRequest, reply: @escaping @Sendable (HLSResponse<PlaylistBody>) -> Void) {
        if case .badRequest(let why) = state.withLock({ request.decide($0.timeline) }) { return reply(.badRequest(why)) }
        wait(.playlist(request)) { [self] ok in
            reply(ok ? renderedPlaylist(request) : .unavailable)
        }
    }

    /// The playlist that answers `request` now; rendered once per part and shared.
    private func renderedPlaylist(_ request: PlaylistRequest) -> HLSResponse<PlaylistBody> {
        state.withLock { s in
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
        await withCheckedContinuation { c in part(id: id) { c.resume(returning: $0) } }
    }

    /// The same, answered through `reply` (see `playlist(_:reply:)`).
    public func part(id: Int, reply: @escaping @Sendable (HLSResponse<ByteBuffer>) -> Void) {
        let hinted = state.withLock { s -> Bool? in
            if id < s.timeline.nextPartID { return false }
            return id == s.timeline.nextPartID && !s.timeline.ended ? true : nil
        }
        guard let hinted else { return reply(.notFound) }
        let published: @Sendable () -> HLSResponse<ByteBuffer> = { [self] in
            state.withLock { s in s.timeline.part(id: id).map { .ok($0.data) } ?? .notFound }
        }
        guard hinted else { return reply(published()) }
        wait(.part(id)) { ok in reply(ok ? published() : .unavailable) }
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

    /// Parts published since the rendition started (ids run on across discontinuities).
    public var partsPublished: Int { state.withLock { $0.timeline.nextPartID } }

    /// A copy of the published state (for tests and diagnostics).
    public var timeline: RenditionTimeline { state.withLock { $0.timeline } }

    /// Calls `done(true)` once a segment is complete (at once if one is), `done(false)` after the
    /// block timeout.
    func waitForFirstSegment(_ done: @escaping @Sendable (Bool) -> Void) {
        let next = state.withLock { s -> Int? in
            if s.timeline.ended || s.timeline.segments.contains(where: \.complete) { return nil }
            return (s.timeline.segments.first?.msn ?? s.timeline.lastMSN + 1) + 1
        }
        guard let next else { return done(true) }
        // Part 0 of the next segment exists exactly when the first one is complete.
        wait(.playlist(PlaylistRequest(msn: next)), done)
    }

    /// Held requests whose deadline passed answer 503.
    func expireWaiters() {
        let now = clock.now()
        let expired = state.withLock { s -> [@Sendable (Bool) -> Void] in
            var out: [@Sendable (Bool) -> Void] = []
            for (id, w) in s.waiters where w.deadline <= now {
                out.append(w.done)
                s.waiters[id] = nil
            }
            return out
        }
        for done in expired { done(false) }
    }

    /// Requests currently held (blocking reloads and hinted parts).
    public var heldRequestCount: Int { state.withLock { $0.waiters.count } }

    /// Calls `done(true)` once `kind` is satisfied (at once if it already is), `done(false)` if
    /// the block timeout passes first.
    private func wait(_ kind: Waiter.Kind, _ done: @escaping @Sendable (Bool) -> Void) {
        let deadline = clock.now() + .milliseconds(Int64(configuration.blockTimeout * 1000))
        let now = state.withLock { s -> Bool in
            if s.satisfied(kind) { return true }
            s.waiters[s.nextWaiter] = Waiter(kind: kind, deadline: deadline, done: done)
            s.nextWaiter += 1
            return false
        }
        if now { done(true) }
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
