import Config
import HLS
import Origin
import StreamHub
import Synchronization

/// Live-commerce analytics of every stream, fed by the origin's answered requests and the
/// relay's players (`tick`). Memory per stream is bounded (`ViewerAnalytics`); a stream's
/// analytics are dropped when its path is gone.
final class Analytics: Sendable {
    private let config: ConfigStore
    private let registry: HLSRegistry
    private let streams = Mutex<[String: ViewerAnalytics]>([:])
    private let epoch = ContinuousClock.now

    init(config: ConfigStore, registry: HLSRegistry) {
        self.config = config
        self.registry = registry
    }

    /// Seconds since this object was made: the analytics' clock.
    func seconds(_ instant: ContinuousClock.Instant) -> Double {
        let d = (instant - epoch).components
        return Double(d.seconds) + Double(d.attoseconds) / 1e18
    }

    var now: Double { seconds(.now) }

    /// What an origin URL is, for a live stream: its path and the request's kind. Slices, not
    /// splits: this runs for every HLS request.
    static func classify(_ urlPath: String, isStream: (String) -> Bool) -> (path: String, request: ViewerAnalytics.Request)? {
        var whole = Substring(urlPath)
        while whole.hasPrefix("/") { whole = whole.dropFirst() }
        guard let slash = whole.lastIndex(of: "/") else { return nil }
        let file = whole[whole.index(after: slash)...]
        let directory = whole[..<slash]
        if file == "index.m3u8" || file == "legacy.m3u8" {
            let stream = String(directory)
            if isStream(stream) { return (stream, .playlist(rendition: nil)) }
        }
        guard let parent = directory.lastIndex(of: "/") else { return nil }
        let rendition = String(directory[directory.index(after: parent)...])
        let stream = String(directory[..<parent])
        let request: ViewerAnalytics.Request
        if file.hasSuffix(".m3u8") {
            request = .playlist(rendition: rendition)
        } else if file.hasSuffix(".m4s") || file.hasSuffix(".mp4") || file.hasSuffix(".ts") {
            request = .media(rendition: rendition)
        } else {
            return nil
        }
        guard !rendition.isEmpty, isStream(stream) else { return nil }
        return (stream, request)
    }

    /// One answered origin request. Returns the stream and the join time when this request
    /// completed a viewer's join (for the join-time histogram).
    func observe(_ o: OriginObservation) -> (path: String, joinSeconds: Double?)? {
        guard o.status == 200, let (path, request) = Self.classify(o.path, isStream: { registry.stream($0) != nil }) else { return nil }
        if case .media = request, o.bytes == 0 { return nil } // HEAD: no media delivered
        // Identity without changing URLs: address + User-Agent (Docs/Operations.md "Analytics").
        let address = HyperLogLog.key(CollectionOfOne(UInt8(0x0A)), seed: HyperLogLog.key((o.remoteAddress ?? "").utf8))
        let key = HyperLogLog.key((o.userAgent ?? "").utf8, seed: address)
        let received = seconds(o.received), answered = seconds(o.answered)
        let joined = streams.withLock { s -> Double? in
            if s[path] == nil {
                let settings = config.current.analytics
                s[path] = ViewerAnalytics(timeout: settings.viewerTimeoutSeconds, exactUniqueViewers: settings.exactUniqueViewers)
            }
            return s[path]?.record(viewer: key, request, received: received, answered: answered)
        }
        return (path, joined)
    }

    /// Ends idle HLS viewers, syncs RTMP players, forgets streams whose path is gone (returned).
    func tick(hub: StreamHub) -> [String] {
        let now = self.now
        let settings = config.current.analytics
        let live = Set(hub.paths.filter { hub.stream($0)?.isDerived != true }).union(registry.paths)
        var players: [String: [Int: String]] = [:]
        for path in live {
            guard let stream = hub.stream(path) else { continue }
            let list = stream.playersByID.filter { $0.status.transport == "rtmp" }
            if !list.isEmpty { players[path] = Dictionary(list.map { ($0.id, $0.status.rendition) }, uniquingKeysWith: { a, _ in a }) }
        }
        return streams.withLock { s -> [String] in
            for path in players.keys where s[path] == nil {
                s[path] = ViewerAnalytics(timeout: settings.viewerTimeoutSeconds, exactUniqueViewers: settings.exactUniqueViewers)
            }
            var gone: [String] = []
            for path in Array(s.keys) {
                guard live.contains(path) else {
                    s[path] = nil
                    gone.append(path)
                    continue
                }
                s[path]?.timeout = settings.viewerTimeoutSeconds
                s[path]?.tick(now: now, rtmpPlayers: players[path] ?? [:])
            }
            return gone
        }
    }

    func snapshot(_ path: String) -> StreamAnalytics? {
        let now = self.now
        return streams.withLock { $0[path]?.snapshot(now: now) }
    }

    /// Per stream: viewers by (protocol, rendition), peak, unique, average watch time.
    func metricsView() -> [String: (viewers: [ViewerAnalytics.ViewerKey: Int], summary: StreamAnalytics)] {
        let now = self.now
        return streams.withLock { s in s.mapValues { ($0.viewersByRendition, $0.snapshot(now: now)) } }
    }
}
