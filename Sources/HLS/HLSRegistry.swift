import Logging
import MediaCore
import Synchronization

/// The HLS streams the origin serves, by path (`<app>/<stream>`), and the playlist requests
/// held for a path that is not live yet (a viewer who opens a show a little early).
public final class HLSRegistry: Sendable {
    private let streams = Mutex<[String: HLSStream]>([:])
    /// How long a playlist request for a path that is not live is held before its 404.
    public let joinWait: Duration
    /// At most this many such requests are held at once (the rest get their 404 at once).
    public let maxJoinWaiters: Int
    private let joins = Mutex(JoinWaiters())
    private let clock = ContinuousClock()
    /// Called on the packager's thread for each part published: path, rendition and the
    /// ingest wall clock (µs) of the part's first unit (the server's stage-latency metric).
    let onPartPublished: (@Sendable (_ path: String, _ rendition: String, _ wallClock: Int64) -> Void)?

    private struct JoinWaiters {
        var waiting: [Int: (deadline: ContinuousClock.Instant, done: @Sendable (Bool) -> Void)] = [:]
        var next = 0
        /// Counts first parts of any stream; a request that saw an older value re-checks at once.
        var generation = 0
        var sweeper: Task<Void, Never>?
        var closed = false
    }

    /// `joinWait` zero answers such requests 404 at once.
    public init(joinWait: Duration = .seconds(10), maxJoinWaiters: Int = 1_000,
                onPartPublished: (@Sendable (_ path: String, _ rendition: String, _ wallClock: Int64) -> Void)? = nil) {
        self.onPartPublished = onPartPublished
        self.joinWait = joinWait
        self.maxJoinWaiters = maxJoinWaiters
    }

    public func stream(_ path: String) -> HLSStream? {
        streams.withLock { $0[path] }
    }

    /// The stream at `path`, created if absent or ended. A publisher that reconnects before
    /// the stream was ended gets the same stream back (call `discontinuity()` on it), so
    /// sequence numbers continue.
    public func stream(path: String, configuration: HLSConfiguration = HLSConfiguration(),
                       clock: any HLSClock = ContinuousHLSClock(), logger: Logger = Logger(label: "sluice.hls")) -> HLSStream {
        var partObserver: (@Sendable (String, Int64) -> Void)?
        if let observe = onPartPublished { partObserver = { rendition, wallClock in observe(path, rendition, wallClock) } }
        let (stream, created) = streams.withLock { map -> (HLSStream, Bool) in
            if let s = map[path], !s.isEnded { return (s, false) }
            let s = HLSStream(path: path, configuration: configuration, clock: clock, logger: logger,
                              onFirstPart: { [weak self] in self?.wakeJoiners() }, onPart: partObserver)
            map[path] = s
            return (s, true)
        }
        if created, let handler = createdHandler.callback { handler(stream) }
        return stream
    }

    private let createdHandler = CallbackSlot<HLSStream>()

    /// `handler` hears of every stream created (before its first media): the recorder starts here.
    public func onStreamCreated(_ handler: @escaping @Sendable (HLSStream) -> Void) {
        createdHandler.set(handler)
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

    /// Server shutdown: every stream ends (ENDLIST; held blocking requests are answered with
    /// it) and requests held for a path that is not live get their 404 now. Call before the
    /// HTTP server closes its connections; streams created afterwards are not ended.
    public func endAll() {
        let all = streams.withLock { Array($0.values) }
        for s in all { s.end() }
        let held = joins.withLock { j -> [@Sendable (Bool) -> Void] in
            j.closed = true
            j.sweeper?.cancel()
            j.sweeper = nil
            defer { j.waiting = [:] }
            return j.waiting.values.map(\.done)
        }
        for done in held { done(false) }
    }

    // MARK: demand

    private let demandHandler = CallbackSlot<String>()

    /// `handler` hears of every playlist request, by stream path, live or not: a pulled path
    /// starts on its first viewer and stops when they are gone. One handler; keep it cheap.
    public func onDemand(_ handler: @escaping @Sendable (String) -> Void) {
        demandHandler.set(handler)
    }

    /// A player asked for the playlist at URL path `playlist` (`/live/x/index.m3u8` or
    /// `/live/x/720p/index.m3u8`): the handler hears both stream paths it may belong to.
    public func demand(playlist: String) {
        guard let handler = demandHandler.callback else { return }
        let parts = playlist.split(separator: "/").dropLast()
        if !parts.isEmpty { handler(parts.joined(separator: "/")) }
        if parts.count > 1 { handler(parts.dropLast().joined(separator: "/")) }
    }

    // MARK: requests held for a path that is not live yet

    /// Pass to `waitForMedia` after checking that a path is not live.
    public var mediaGeneration: Int { joins.withLock { $0.generation } }

    /// Holds `done` until any stream publishes its first part (`true`: check again) or
    /// `deadline` passes (`false`). Returns false, and keeps nothing, when `maxJoinWaiters`
    /// requests are already held or the registry was ended. `done` runs on the publisher's
    /// thread or the sweeper's, once.
    public func waitForMedia(since generation: Int, until deadline: ContinuousClock.Instant,
                             _ done: @escaping @Sendable (Bool) -> Void) -> Bool {
        enum Outcome { case held, refused, changed }
        let outcome = joins.withLock { j -> Outcome in
            if j.closed || j.waiting.count >= maxJoinWaiters { return .refused }
            if j.generation != generation { return .changed }
            j.waiting[j.next] = (deadline, done)
            j.next += 1
            if j.sweeper == nil { j.sweeper = startSweeper() }
            return .held
        }
        switch outcome {
        case .held: return true
        case .refused: return false
        case .changed:
            done(true)
            return true
        }
    }

    /// Requests currently held for a path that is not live.
    public var heldJoinCount: Int { joins.withLock { $0.waiting.count } }

    private func wakeJoiners() {
        let woken = joins.withLock { j -> [@Sendable (Bool) -> Void] in
            j.generation += 1
            defer { j.waiting = [:] }
            return j.waiting.values.map(\.done)
        }
        for done in woken { done(true) }
    }

    /// One timer while requests are held (not one per request); it ends when none are left.
    private func startSweeper() -> Task<Void, Never> {
        Task { [weak self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
                guard let self, self.expireJoiners() else { return }
            }
        }
    }

    /// Answers expired held requests; false (and the sweeper stops) once none are left.
    private func expireJoiners() -> Bool {
        let now = clock.now
        let (expired, more) = joins.withLock { j -> ([@Sendable (Bool) -> Void], Bool) in
            var out: [@Sendable (Bool) -> Void] = []
            for (id, w) in j.waiting where w.deadline <= now {
                out.append(w.done)
                j.waiting[id] = nil
            }
            if j.waiting.isEmpty { j.sweeper = nil }
            return (out, !j.waiting.isEmpty)
        }
        for done in expired { done(false) }
        return more
    }
}
