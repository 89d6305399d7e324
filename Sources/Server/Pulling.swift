import Foundation
import HLS
import Ingest
import Logging
import StreamHub
import Synchronization

/// Where a path is pulled from, when nobody pushes it.
public struct PullSource: Sendable, Equatable {
    /// `{path}` and `{name}` are filled in.
    public var url: String
    /// Pull from start, not on the first viewer, and never stop for lack of viewers.
    public var always: Bool
    /// An on-demand pull stops after this long without a playlist request.
    public var idleTimeout: Duration

    public init(url: String, always: Bool = false, idleTimeout: Duration = .seconds(30)) {
        self.url = url
        self.always = always
        self.idleTimeout = idleTimeout
    }
}

/// The server's pulls: one owner starts a `PullSession` when a player asks for a path that has
/// a source and nobody publishes it, and stops it after the source's idle time without viewers.
public final class Pulling: Sendable {
    private struct Running {
        var session: PullSession
        var source: PullSource
        var lastDemand: ContinuousClock.Instant
    }

    private let hub: StreamHub
    private let logger: Logger
    private let sources: @Sendable (String) -> PullSource?
    private let running = Mutex<[String: Running]>([:])
    private let sweeper = Mutex<Task<Void, Never>?>(nil)
    /// How long the origin may hold a viewer's first request for the show to start: the
    /// viewer is still there all that time, so a demand counts at least this long.
    private let joinWait: Duration

    /// `sources` says where a path comes from (nil: not pulled); called on the first request of
    /// a path that is not running.
    init(hub: StreamHub, registry: HLSRegistry, logger: Logger, sources: @escaping @Sendable (String) -> PullSource?) {
        self.hub = hub
        self.logger = logger
        self.sources = sources
        self.joinWait = registry.joinWait
        registry.onDemand { [weak self] path in self?.demand(path) }
    }

    public var paths: [String] { running.withLock { Array($0.keys).sorted() } }

    /// Starts every `always` pull among `paths` (exact paths from the configuration).
    func startAlways(_ paths: [String]) {
        for path in paths { if let source = sources(path), source.always { start(path, source) } }
    }

    /// A playlist of `path` was requested.
    func demand(_ path: String) {
        let now = ContinuousClock.now
        let known = running.withLock { r -> Bool in
            guard r[path] != nil else { return false }
            r[path]!.lastDemand = now
            return true
        }
        // A path someone pushes is theirs; only an unpublished path with a source is pulled.
        guard !known, hub.stream(path)?.hasPublisher != true, let source = sources(path) else { return }
        start(path, source)
    }

    private func start(_ path: String, _ source: PullSource) {
        guard let valid = try? StreamPath(validating: path) else { return }
        let started = running.withLock { r -> Bool in
            guard r[path] == nil, r.count < 256 else { return false }
            r[path] = Running(session: PullSession(path: valid, url: source.url, hub: hub, logger: logger), source: source,
                              lastDemand: .now)
            return true
        }
        guard started else { return }
        sweeper.withLock { task in
            if task == nil { task = Task { [weak self] in await self?.sweep() } }
        }
    }

    /// Once a second: on-demand pulls nobody asked for within their idle time stop.
    private func sweep() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
            let now = ContinuousClock.now
            let idle = running.withLock { r -> [(String, PullSession)] in
                // A slow source (HLS: whole segments, then a complete segment of our own) can take
                // longer to start than a short idle time, while the first viewer's request waits.
                let gone = r.filter { !$0.value.source.always && now - $0.value.lastDemand > max($0.value.source.idleTimeout, joinWait) }
                for path in gone.keys { r[path] = nil }
                return gone.map { ($0.key, $0.value.session) }
            }
            for (path, session) in idle {
                logger.info("pull of \(path) stops: no viewer for a while")
                session.stop()
            }
        }
    }

    func stopAll() {
        sweeper.withLock { $0?.cancel(); $0 = nil }
        for r in running.withLock({ r -> [Running] in defer { r.removeAll() }; return Array(r.values) }) { r.session.stop() }
    }
}
