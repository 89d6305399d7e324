import Access
import Config
import Foundation
import HLS
import Ingest
import Logging
import Origin
import ServiceLifecycle
import StreamHub
import Synchronization
import WebRTCServer

/// The composition of Sluice around one stream hub: RTMP and SRT ingest publish into the hub;
/// every new stream gets a pipeline (source rendition + transcode ladder → LL-HLS); the HTTP
/// origin serves the HLS registry. `run()` serves until SIGINT or SIGTERM, then shuts down
/// gracefully.
public final class SluiceServer: Sendable {
    public let configuration: SluiceServerConfiguration
    /// The live configuration tree, replaced whole on reload (SIGHUP, `POST /api/v1/reload`).
    public let config: ConfigStore
    public let hub: StreamHub
    public let rtmp: RTMPServer
    private let access: any AccessControl
    /// The webhook's HTTP client lives here (shut down on stop) when access is the configured one.
    private let configuredAccess: ConfiguredAccess?
    private let srtAdmission: IngestAdmission
    private let originAccess: OriginAccess
    private let srt = Mutex<SRTIngestServer?>(nil)
    private let http = Mutex<Int?>(nil)
    private let started = Mutex(false)
    public let registry: HLSRegistry
    let pipelines: StreamPipelines
    /// Restream destinations (`/api/v1/forwards`).
    public let forwarding: Forwarding
    /// Paths pulled from other servers.
    public let pulling: Pulling
    /// Recording to disk and replay (`recording` section, `/api/v1/streams/{path}/recording`).
    let recording: RecordingControl
    let logger: Logger
    /// WHEP viewers and WHIP publishers (nil when `webrtc.enabled` is false).
    let webrtc: MediaSessions?
    /// Wall clock of `init`, for `GET /api/v1/server`.
    public let startedAt = Date()
    private let shuttingDown = Atomic<Bool>(false)
    /// Set once `start()` bound the ingest listeners (the HTTP one reports `httpPort`).
    private let ingestBound = Atomic<Bool>(false)

    /// The version `GET /api/v1/server` reports (`sluice --version`).
    public static let version = "0.1.0"
    /// This server's Prometheus registry and viewer analytics (`GET /metrics`, the streams API).
    let metrics: ServerMetrics

    /// `access` nil: keys, tokens and the webhook from `config` (`auth`, `paths`), read per decision.
    public init(configuration: SluiceServerConfiguration, logger: Logger, access: (any AccessControl)? = nil) {
        self.configuration = configuration
        // The operator token: the file's, or a new random one (printed by `sluice serve`);
        // kept in the store so every check reads the live one. "" turns the check off.
        var file = configuration.file
        if file.api.token == nil { file.api.token = APIToken.generate() }
        let config = ConfigStore(file)
        self.config = config
        self.logger = logger
        // The registry reports each published part to the metrics, which exist before it.
        let partObserver = Mutex<ServerMetrics?>(nil)
        let registry = HLSRegistry(onPartPublished: { path, rendition, wallClock in
            partObserver.withLock { $0 }?.stageLatency(path: path, rendition: rendition, stage: .published, wallClock: wallClock)
        })
        self.registry = registry
        let metrics = ServerMetrics(analytics: Analytics(config: config, registry: registry))
        partObserver.withLock { $0 = metrics }
        self.metrics = metrics
        // A path still served after its publisher left (grace, ENDLIST) keeps its URLs: a new
        // publisher may not overlap it (`live/a/source` would shadow `live/a`'s rendition).
        self.hub = StreamHub(pathsInUse: { registry.paths })
        let configured = access == nil ? ConfiguredAccess(config: config, logger: logger) : nil
        self.configuredAccess = configured
        self.access = access ?? configured!
        // Limits are read at decision time: a reload applies to the next connection or publish.
        let maxPublishers: @Sendable () -> Int = { config.current.limits.maxPublishers }
        self.srtAdmission = IngestAdmission(perIP: ConnectionLimiter(config: config), maxPublishers: maxPublishers)
        self.originAccess = OriginAccess(gate: PlayGate(config: config), perIP: ConnectionLimiter(config: config))
        var rtmpConfiguration = RTMPServerConfiguration(host: configuration.host, port: configuration.rtmpPort)
        if !configuration.playerAdaptation { rtmpConfiguration.playerSendDelay = nil }
        rtmpConfiguration.maxConnections = configuration.rtmpMaxConnections
        rtmpConfiguration.publisherIdleTimeout = .nanoseconds(Self.nanoseconds(configuration.publisherIdleTimeout))
        self.rtmp = RTMPServer(configuration: rtmpConfiguration, hub: hub, access: self.access,
                               admission: IngestAdmission(perIP: ConnectionLimiter(config: config), maxPublishers: maxPublishers), logger: logger)
        self.forwarding = Forwarding(hub: hub, logger: logger, destinations: { config.current.rule(for: $0)?.forward ?? [] })
        let pullSource = configuration.pullSource
        self.pulling = Pulling(hub: hub, registry: registry, logger: logger, sources: { path in
            if let source = pullSource(path) { return source }
            guard let rule = config.current.rule(for: path), let url = rule.pull else { return nil }
            return PullSource(url: url, always: rule.pullAlways ?? false, idleTimeout: .seconds(rule.pullIdleSeconds ?? 30))
        })
        self.recording = RecordingControl(file: configuration.file, config: config, registry: registry,
                                          targetDuration: configuration.hls.targetDuration, factory: metrics.factory, logger: logger)
        self.pipelines = StreamPipelines(hub: hub, registry: registry, hls: configuration.hls, transcode: configuration.transcode,
                                         config: config, startTranscode: configuration.file.transcode,
                                         endGrace: configuration.endGrace, logger: logger, metrics: metrics)
        self.webrtc = WebRTCRoutes.sessions(file: configuration.file, host: configuration.host, hub: hub, pipelines: pipelines, logger: logger)
    }

    /// The bearer token every `/api/v1/` request needs ("" when the check is off).
    public var apiToken: String { config.current.api.token ?? "" }

    public enum Readiness: Sendable { case starting, ready, shuttingDown }

    /// `/readyz`: ready once every listener is bound, not while shutting down.
    public var readiness: Readiness {
        if shuttingDown.load(ordering: .relaxed) { return .shuttingDown }
        return ingestBound.load(ordering: .relaxed) && httpPort != nil ? .ready : .starting
    }

    var info: ServerInfo {
        let streams = ServerStatus.paths(hub: hub, registry: registry)
        return ServerInfo(
            version: Self.version, startedAt: ISO8601DateFormatter().string(from: startedAt),
            uptimeSeconds: (Date().timeIntervalSince(startedAt) * 10).rounded() / 10, ready: readiness == .ready,
            listeners: [.init(protocol: "rtmp", host: configuration.host, port: rtmpPort),
                        .init(protocol: "srt", host: configuration.host, port: srtPort),
                        .init(protocol: "http", host: configuration.host, port: httpPort)],
            streams: streams.count, publishing: streams.filter { hub.stream($0)?.hasPublisher == true }.count)
    }

    /// The RTMP server's counters (connections, plays, player moves and skips, ...).
    public var rtmpStatistics: RTMPServerStatistics.Snapshot { rtmp.statistics.snapshot }

    /// Updates the metrics from the counters other parts keep (scrape and 1 s tick).
    func collectMetrics(rates: Bool = false) {
        metrics.collect(hub: hub, pipelines: pipelines, hlsRegistry: registry,
                        connections: .init(rtmp: rtmp.connectionCount, srt: srt.withLock { $0?.connectionCount } ?? 0,
                                           rtmpEvents: rtmpStatistics), rates: rates)
        recording.collect()
    }

    /// Bound RTMP port, once started.
    public var rtmpPort: Int? { rtmp.port }
    /// Bound SRT port, once started.
    public var srtPort: Int? { srt.withLock { $0?.port } }
    /// Bound HTTP port, once the origin runs (inside `run()`).
    public var httpPort: Int? { http.withLock { $0 } }

    private var shownHost: String {
        configuration.host == "0.0.0.0" || configuration.host == "::" ? "HOST" : configuration.host
    }

    /// Binds every listener; returns once they accept connections.
    public func start() async throws {
        let host = configuration.host
        started.withLock { $0 = true }
        if configuration.rtmpEnabled {
            do {
                try await rtmp.start()
            } catch {
                throw ListenerError(listener: "RTMP", host: host, port: configuration.rtmpPort, flag: "--rtmp-port", error: error)
            }
        }
        guard configuration.srtEnabled else { return }
        var srtConfig = SRTIngestServer.Configuration(host: configuration.host, port: configuration.srtPort,
                                                      latencyMs: configuration.srtLatencyMs)
        if let passphrase = configuration.srtPassphrase { srtConfig.passphrase = { _ in passphrase } }
        let srtServer: SRTIngestServer
        do {
            srtServer = try SRTIngestServer(configuration: srtConfig, hub: hub, access: access, admission: srtAdmission, logger: logger)
        } catch {
            try? await rtmp.shutdown()
            throw ListenerError(listener: "SRT", host: host, port: configuration.srtPort, flag: "--srt-port", error: error)
        }
        srt.withLock { $0 = srtServer }
        pulling.startAlways(configuration.alwaysPulled
            + config.current.paths.filter { $0.pullAlways == true && $0.pull != nil }.map(\.match))
        ingestBound.store(true, ordering: .relaxed)
    }

    /// Starts (if needed) and serves until SIGINT/SIGTERM or task cancellation. `onHTTPRunning`
    /// gets the origin's bound port.
    public func run(onHTTPRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        if !started.withLock({ $0 }) { try await start() }
        let origin = HTTPOriginService(registry: registry, host: configuration.host, port: configuration.httpPort, logger: logger,
                                       limits: configuration.origin,
                                       endStreamsOnShutdown: false, // StreamsService owns it, before the origin stops
                                       observer: metrics,
                                       access: originAccess,
                                       onRunning: { [self, logger, shownHost] port in
            self.http.withLock { $0 = port }
            // Printed only now: a URL is shown once every listener is up, never before a failure.
            if let rtmpPort = self.rtmpPort {
                logger.info("push with RTMP to rtmp://\(shownHost):\(rtmpPort)/live/<stream>", metadata: ["rtmp-port": "\(rtmpPort)"])
            }
            if let srtPort = self.srtPort {
                logger.info("push with SRT to srt://\(shownHost):\(srtPort)?streamid=live/<stream>", metadata: ["srt-port": "\(srtPort)"])
            }
            logger.info("play LL-HLS at http://\(shownHost):\(port)/live/<stream>/index.m3u8", metadata: ["http-port": "\(port)"])
            onHTTPRunning(port)
        }, extraRoutes: { [self] router in
            // StatusRoutes adds the API's token check first: every `/api/v1/` route registered
            // after it (here or in another file) is guarded. Register API routes below this line.
            StatusRoutes.register(on: router, server: self)
            ReloadRoutes.register(on: router, server: self)
            ForwardRoutes.register(on: router, forwarding: forwarding)
            ClipRoutes.register(on: router, clips: ClipService(config: config, registry: registry, hub: hub, logger: logger))
            RecordingRoutes.register(on: router, control: recording)
            EventRoutes.register(on: router, registry: registry)
            WebRTCRoutes.register(on: router, sessions: webrtc, hub: hub, access: access, config: config, logger: logger)
            MetricsRoutes.register(on: router, config: config, metrics: metrics, collect: { [weak self] in self?.collectMetrics() })
        })
        // Viewer timeouts, RTMP players and encode rates are sampled once a second.
        let ticker = Task { [weak self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
                guard let self else { return }
                _ = self.metrics.analytics.tick(hub: self.hub)
                self.collectMetrics(rates: true)
            }
        }
        defer { ticker.cancel() }
        // A listener that closes (shutdown()) ends the whole group gracefully.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            // Shut down in reverse order: streams end first (ENDLIST reaches held requests), then
            // the origin, then ingest.
            services: (configuration.rtmpEnabled
                ? [.init(service: RTMPIngestService(server: rtmp), successTerminationBehavior: .gracefullyShutdownGroup)] : [])
            + (srt.withLock { $0 }.map { [ServiceGroupConfiguration.ServiceConfiguration(service: SRTIngestService(server: $0))] } ?? []) + [
                .init(service: origin),
                .init(service: StreamsService(pipelines: pipelines, hub: hub, registry: registry, logger: logger,
                                              onShutdown: { [self] in self.shuttingDown.store(true, ordering: .relaxed) }),
                      successTerminationBehavior: .ignore),
            ],
            gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        do {
            try await group.run()
        } catch where http.withLock({ $0 }) == nil {
            await pipelines.stopAll()
            forwarding.stopAll()
            pulling.stopAll()
            await configuredAccess?.shutdown()
            throw ListenerError(listener: "HTTP", host: configuration.host, port: configuration.httpPort, flag: "--http-port", error: error)
        }
        forwarding.stopAll()
        pulling.stopAll()
        await webrtc?.shutdown()
        await pipelines.stopAll()
        await recording.recorder.shutdown()
        await configuredAccess?.shutdown()
        logger.info("Sluice stopped")
    }

    /// Installs a new configuration tree (already validated) without touching a running stream:
    /// what is read at decision time (paths, auth, limits per connection, logging, API token)
    /// applies from the next decision; start-only keys (listeners, HLS timing, ...) keep their
    /// running values and are reported as needing a restart. A file with no `api.token` keeps
    /// the current token.
    @discardableResult
    public func reload(from file: SluiceConfig) -> ReloadReport {
        var file = file
        let running = config.current
        if file.api.token == nil { file.api.token = running.api.token }
        let installed = file.keepingStartOnly(from: running)
        config.replace(with: installed)
        if let level = Logger.Level(rawValue: installed.logging.level) { SluiceLogLevel.shared.level = level }
        let report = ReloadReport(applied: installed.changedKeys(from: running), needsRestart: file.changedKeys(from: installed))
        logger.notice("configuration reloaded", metadata: [
            "applied": "\(report.applied.joined(separator: ","))", "needs-restart": "\(report.needsRestart.joined(separator: ","))",
        ])
        return report
    }

    /// Reads the configuration again from `configuration.reloadSource` (SIGHUP,
    /// `POST /api/v1/reload`) and installs it. An invalid file throws its `ConfigError` and
    /// the running configuration stays.
    public func reloadFromSource() throws -> ReloadReport {
        guard let source = configuration.reloadSource else { throw ReloadUnavailable() }
        return reload(from: try source())
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return s.multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max : s * 1_000_000_000 + atto / 1_000_000_000
    }

    /// Closes every listener; a running `run()` then returns.
    public func shutdown() async throws {
        srt.withLock { $0 }?.close()
        await configuredAccess?.shutdown()
        try await rtmp.shutdown()
    }
}
