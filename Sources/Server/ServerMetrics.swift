import CoreMetrics
import HLS
import Ingest
import Metrics
import MediaCore
import Origin
import Prometheus
import StreamHub
import Synchronization
import Transcode

/// One server's metrics: its own Prometheus registry (several servers may share a process, so
/// nothing goes through `MetricsSystem.bootstrap`) and the swift-metrics factory its parts use.
/// Hot paths only bump counters or histograms; what other parts already count (hub, transcoder,
/// RTMP, analytics) is read by `collect()` at scrape time and every second. A stream's series
/// are destroyed when its path is gone, so label values stay bounded by the live streams.
final class ServerMetrics: OriginObserver, Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let analytics: Analytics
    private let state = Mutex(SeriesState())
    private let httpConnections = Atomic<Int>(0)

    enum Stage: String, Sendable { case decoded, encoded, published }

    private enum Handle {
        case counter(CoreMetrics.Counter)
        case gauge(CoreMetrics.Gauge)
        case timer(CoreMetrics.Timer)

        func destroy() {
            switch self {
            case .counter(let c): c.destroy()
            case .gauge(let g): g.destroy()
            case .timer(let t): t.destroy()
            }
        }
    }

    private struct SeriesState {
        /// Series by owner ("" for server-wide, else the stream path), then by name + labels.
        var handles: [String: [String: Handle]] = [:]
        /// Last cumulative value read for a counter fed from a snapshot.
        var last: [String: Int] = [:]
        /// Per rung: frames encoded, encoder seconds, when (for fps and real-time factor).
        var rates: [String: (frames: Int, encodeSeconds: Double, at: Double)] = [:]
        /// The hot paths' series by a key that builds no string (also in `handles`, for removal).
        var requests: [RequestKey: CoreMetrics.Counter] = [:]
        var stages: [StageKey: CoreMetrics.Timer] = [:]
    }

    private struct RequestKey: Hashable {
        var route: String
        var status: Int
    }

    private struct StageKey: Hashable {
        var path: String
        var rendition: String
        var stage: Stage
    }

    init(analytics: Analytics) {
        self.analytics = analytics
        var factory = PrometheusMetricsFactory(registry: registry)
        // Fine enough to read a stage's p95 from two scrapes (`bench latency` does): 10–50 ms
        // steps where parts (~250 ms) and encodes (~10–100 ms) fall.
        let ms: [Int64] = [1, 2, 5, 10, 20, 30, 40, 50, 60, 80, 100, 125, 150, 175, 200, 250, 300, 350, 400, 450,
                           500, 600, 700, 800, 1000, 1500, 2000, 5000, 10000]
        factory.durationHistogramBuckets["sluice_stage_latency_seconds"] = ms.map { .milliseconds($0) }
        factory.durationHistogramBuckets["sluice_join_time_seconds"] = [50, 100, 250, 500, 1000, 2000, 3000, 5000, 10000, 20000]
            .map { .milliseconds($0) }
        self.factory = factory
    }

    private static func key(_ name: String, _ labels: [(String, String)]) -> String {
        labels.reduce(name) { $0 + "|" + $1.0 + "=" + $1.1 }
    }

    private func handle(_ s: inout SeriesState, owner: String, _ name: String, _ labels: [(String, String)],
                        make: () -> Handle) -> Handle {
        let k = Self.key(name, labels)
        if let h = s.handles[owner]?[k] { return h }
        let h = make()
        s.handles[owner, default: [:]][k] = h
        return h
    }

    private func counter(_ s: inout SeriesState, owner: String, _ name: String, _ labels: [(String, String)]) -> CoreMetrics.Counter {
        guard case .counter(let c) = handle(&s, owner: owner, name, labels, make: {
            .counter(CoreMetrics.Counter(label: name, dimensions: labels, factory: factory))
        }) else { fatalError("metric \(name) registered with another type") } // a programming error, not input
        return c
    }

    private func gauge(_ s: inout SeriesState, owner: String, _ name: String, _ labels: [(String, String)]) -> CoreMetrics.Gauge {
        guard case .gauge(let g) = handle(&s, owner: owner, name, labels, make: {
            .gauge(CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory))
        }) else { fatalError("metric \(name) registered with another type") }
        return g
    }

    private func timer(_ s: inout SeriesState, owner: String, _ name: String, _ labels: [(String, String)]) -> CoreMetrics.Timer {
        guard case .timer(let t) = handle(&s, owner: owner, name, labels, make: {
            .timer(CoreMetrics.Timer(label: name, dimensions: labels, factory: factory))
        }) else { fatalError("metric \(name) registered with another type") }
        return t
    }

    /// A counter that follows a cumulative value read from a snapshot (a decrease is a reset:
    /// a new publisher or pipeline started counting again).
    private func advance(_ s: inout SeriesState, owner: String, _ name: String, _ labels: [(String, String)], to value: Int) {
        let k = Self.key(name, labels)
        let last = s.last[k] ?? 0
        let delta = value >= last ? value - last : value
        s.last[k] = value
        let c = counter(&s, owner: owner, name, labels)
        if delta > 0 { c.increment(by: delta) }
    }

    // MARK: hot paths

    /// The route class of an origin URL: a bounded label, never the raw path.
    static func route(_ path: String) -> String {
        if path.hasPrefix("/api/") { return "api" }
        if path.hasSuffix(".m3u8") { return "playlist" }
        let file = path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? Substring(path)
        if file.hasPrefix("part"), file.hasSuffix(".m4s") { return "part" }
        if file.hasSuffix(".m4s") || file.hasSuffix(".mp4") || file.hasSuffix(".ts") { return "segment" }
        return "other"
    }

    func answered(_ request: OriginObservation) {
        let key = RequestKey(route: Self.route(request.path), status: request.status)
        let c = state.withLock { s in
            if let c = s.requests[key] { return c }
            let c = counter(&s, owner: "", "sluice_http_requests_total", [("route", key.route), ("status", String(key.status))])
            s.requests[key] = c
            return c
        }
        c.increment()
        if let (path, join) = analytics.observe(request), let join {
            let t = state.withLock { timer(&$0, owner: path, "sluice_join_time_seconds", [("path", path)]) }
            t.recordNanoseconds(Int64(join * 1e9))
        }
    }

    func connectionOpened() { httpConnections.add(1, ordering: .relaxed) }
    func connectionClosed() { httpConnections.subtract(1, ordering: .relaxed) }

    /// Ingest (the unit's wall clock) → `stage`, on the codec or packager thread.
    func stageLatency(path: String, rendition: String, stage: Stage, wallClock: Int64) {
        let micros = WallClock.nowMicros() - wallClock
        guard micros >= 0, micros < 600_000_000 else { return } // clock steps: not a latency
        let key = StageKey(path: path, rendition: rendition, stage: stage)
        let t = state.withLock { s in
            if let t = s.stages[key] { return t }
            let t = timer(&s, owner: path, "sluice_stage_latency_seconds",
                          [("path", path), ("rendition", rendition), ("stage", stage.rawValue)])
            s.stages[key] = t
            return t
        }
        t.recordMicroseconds(micros)
    }

    // MARK: collection

    /// What `collect` reads besides the hub: open connections per listener.
    struct Connections {
        var rtmp: Int
        var srt: Int
        /// The RTMP server's event counters since start.
        var rtmpEvents: RTMPServerStatistics.Snapshot?
    }

    /// Reads the counters other parts keep into the registry. `rates`: also recompute encode
    /// fps and real-time factor (the 1 s tick; a scrape alone would make them depend on the
    /// scrape interval).
    func collect(hub: StreamHub, pipelines: StreamPipelines, hlsRegistry: HLSRegistry, connections: Connections, rates: Bool) {
        let now = analytics.now
        let paths = Set(hub.paths.filter { hub.stream($0)?.isDerived != true }).union(hlsRegistry.paths)
        let viewing = analytics.metricsView()
        // Read every other part's counters before taking the metrics lock: no lock nests in it.
        var ingest: [String: (units: Int, bytes: Int, transport: String)] = [:]
        var transcode: [String: TranscodeStats] = [:]
        var served: [String: [(rendition: String, parts: Int, requests: [(String, Int)])]] = [:]
        for path in paths {
            ingest[path] = hub.stream(path)?.ingestCounters
            transcode[path] = pipelines.pipeline(path)?.transcodeStats
            served[path] = hlsRegistry.stream(path)?.allRenditions.map {
                ($0.name, $0.partsPublished, [("playlist", $0.requests[.playlist]), ("part", $0.requests[.part]),
                                               ("segment", $0.requests[.segment])])
            }
        }
        var gone: [Handle] = []
        state.withLock { s in
            gauge(&s, owner: "", "sluice_connections", [("protocol", "rtmp")]).record(connections.rtmp)
            gauge(&s, owner: "", "sluice_connections", [("protocol", "srt")]).record(connections.srt)
            gauge(&s, owner: "", "sluice_connections", [("protocol", "http")]).record(httpConnections.load(ordering: .relaxed))
            if let r = connections.rtmpEvents {
                let events = [("connections", r.connections), ("publishes", r.publishes), ("plays", r.plays),
                              ("takeovers", r.takeovers), ("timestamp_repairs", r.timestampRepairs),
                              ("closed_bad_input", r.closedForBadInput), ("closed_timeout", r.closedForTimeout),
                              ("refused_connections", r.refusedConnections), ("read_pauses", r.readPauses),
                              ("player_units_dropped", r.playerUnitsDropped), ("player_moves_down", r.playerMovesDown),
                              ("player_moves_up", r.playerMovesUp), ("player_keyframe_skips", r.playerKeyframeSkips)]
                for (event, value) in events {
                    advance(&s, owner: "", "sluice_rtmp_events_total", [("event", event)], to: value)
                }
            }
            for path in paths {
                if let c = ingest[path] {
                    let labels = [("path", path), ("protocol", c.transport.isEmpty ? "unknown" : c.transport)]
                    advance(&s, owner: path, "sluice_ingest_bytes_total", labels, to: c.bytes)
                    advance(&s, owner: path, "sluice_ingest_frames_total", labels, to: c.units)
                }
                if let stats = transcode[path] {
                    advance(&s, owner: path, "sluice_dropped_frames_total", [("path", path), ("rendition", "transcode-input")],
                            to: stats.inputDropped + stats.videoUnitsSkippedLate)
                    for rung in stats.rungs {
                        let labels = [("path", path), ("rendition", rung.name)]
                        advance(&s, owner: path, "sluice_dropped_frames_total", labels, to: rung.framesDropped)
                        advance(&s, owner: path, "sluice_encoded_frames_total", labels, to: rung.framesEncoded)
                        guard rates else { continue }
                        let k = Self.key(path, labels)
                        if let last = s.rates[k], now - last.at >= 0.5, rung.framesEncoded >= last.frames {
                            let wall = now - last.at
                            let busy = rung.encodeSeconds - last.encodeSeconds
                            gauge(&s, owner: path, "sluice_encode_fps", labels).record(Double(rung.framesEncoded - last.frames) / wall)
                            // Wall time over encoder time: how many times faster than real time the rung could run.
                            gauge(&s, owner: path, "sluice_encode_realtime_factor", labels).record(busy > 0 ? wall / busy : 0)
                        }
                        if s.rates[k].map({ now - $0.at >= 0.5 }) ?? true {
                            s.rates[k] = (rung.framesEncoded, rung.encodeSeconds, now)
                        }
                    }
                }
                // Origin requests per rendition against parts published: an edge's collapsing, measured.
                for r in served[path] ?? [] {
                    advance(&s, owner: path, "sluice_hls_parts_published_total", [("path", path), ("rendition", r.rendition)], to: r.parts)
                    for (kind, n) in r.requests {
                        advance(&s, owner: path, "sluice_origin_rendition_requests_total",
                                [("path", path), ("rendition", r.rendition), ("kind", kind)], to: n)
                    }
                }
                // Viewers: series of renditions nobody watches any more go away.
                let view = viewing[path]
                var seen: Set<String> = []
                for (k, n) in view?.viewers ?? [:] {
                    let labels = [("path", path), ("protocol", k.protocol), ("rendition", k.rendition)]
                    seen.insert(Self.key("sluice_viewers", labels))
                    gauge(&s, owner: path, "sluice_viewers", labels).record(n)
                }
                for (k, h) in s.handles[path] ?? [:] where k.hasPrefix("sluice_viewers|") && !seen.contains(k) {
                    gone.append(h)
                    s.handles[path]?[k] = nil
                }
                if let summary = view?.summary {
                    let labels = [("path", path)]
                    gauge(&s, owner: path, "sluice_viewers_peak", labels).record(summary.peakViewers)
                    gauge(&s, owner: path, "sluice_unique_viewers", labels).record(summary.uniqueViewers)
                    gauge(&s, owner: path, "sluice_watch_time_average_seconds", labels).record(summary.averageWatchSeconds)
                }
            }
            // Streams that are gone: every series of theirs.
            for owner in Array(s.handles.keys) where !owner.isEmpty && !paths.contains(owner) {
                gone += s.handles.removeValue(forKey: owner)?.values.map { $0 } ?? []
                s.last = s.last.filter { !$0.key.contains("|path=\(owner)|") && !$0.key.hasSuffix("|path=\(owner)") }
                s.rates = s.rates.filter { !$0.key.hasPrefix(owner + "|") }
                s.stages = s.stages.filter { $0.key.path != owner }
            }
        }
        for h in gone { h.destroy() }
    }

    /// The Prometheus text exposition of everything.
    func render() -> String { registry.emitToString() }
}
