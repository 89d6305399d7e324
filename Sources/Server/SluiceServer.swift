import Config
import HLS
import Ingest
import Logging
import Origin
import ServiceLifecycle
import StreamHub
import Synchronization

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
    private let srt = Mutex<SRTIngestServer?>(nil)
    private let http = Mutex<Int?>(nil)
    public let registry: HLSRegistry
    let pipelines: StreamPipelines
    /// This server's Prometheus registry and viewer analytics (`GET /metrics`, the streams API).
    let metrics: ServerMetrics
    private let logger: Logger

    public init(configuration: SluiceServerConfiguration, logger: Logger, access: any AccessControl = AllowAll()) {
        self.configuration = configuration
        self.config = ConfigStore(configuration.file)
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
        self.access = access
        var rtmpConfiguration = RTMPServerConfiguration(host: configuration.host, port: configuration.rtmpPort)
        if !configuration.playerAdaptation { rtmpConfiguration.playerSendDelay = nil }
        self.rtmp = RTMPServer(configuration: rtmpConfiguration, hub: hub, access: access, logger: logger)
        self.pipelines = StreamPipelines(hub: hub, registry: registry, hls: configuration.hls, transcode: configuration.transcode,
                                         endGrace: configuration.endGrace, logger: logger, metrics: metrics)
    }

    /// The RTMP server's counters (connections, plays, player moves and skips, ...).
    public var rtmpStatistics: RTMPServerStatistics.Snapshot { rtmp.statistics.snapshot }

    /// Updates the metrics from the counters other parts keep (scrape and 1 s tick).
    func collectMetrics(rates: Bool = false) {
        metrics.collect(hub: hub, pipelines: pipelines, hlsRegistry: registry,
                        connections: .init(rtmp: rtmp.connectionCount, srt: srt.withLock { $0?.connectionCount } ?? 0,
                                           rtmpEvents: rtmpStatistics), rates: rates)
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
        do {
            try await rtmp.start()
        } catch {
            throw ListenerError(listener: "RTMP", host: host, port: configuration.rtmpPort, flag: "--rtmp-port", error: error)
        }
        var srtConfig = SRTIngestServer.Configuration(host: configuration.host, port: configuration.srtPort,
                                                      latencyMs: configuration.srtLatencyMs)
        if let passphrase = configuration.srtPassphrase { srtConfig.passphrase = { _ in passphrase } }
        let srtServer: SRTIngestServer
        do {
            srtServer = try SRTIngestServer(configuration: srtConfig, hub: hub, access: access, logger: logger)
        } catch {
            try? await rtmp.shutdown()
            throw ListenerError(listener: "SRT", host: host, port: configuration.srtPort, flag: "--srt-port", error: error)
        }
        srt.withLock { $0 = srtServer }
    }

    /// Starts (if needed) and serves until SIGINT/SIGTERM or task cancellation. `onHTTPRunning`
    /// gets the origin's bound port.
    public func run(onHTTPRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        if rtmp.port == nil { try await start() }
        let origin = HTTPOriginService(registry: registry, host: configuration.host, port: configuration.httpPort, logger: logger,
                                       endStreamsOnShutdown: false, // StreamsService owns it, before the origin stops
                                       observer: metrics,
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
        }, extraRoutes: { [hub, pipelines, registry, config, metrics] router in
            StatusRoutes.register(on: router, hub: hub, pipelines: pipelines, registry: registry, analytics: metrics.analytics)
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
            services: [
                .init(service: RTMPIngestService(server: rtmp), successTerminationBehavior: .gracefullyShutdownGroup),
            ] + (srt.withLock { $0 }.map { [ServiceGroupConfiguration.ServiceConfiguration(service: SRTIngestService(server: $0))] } ?? []) + [
                .init(service: origin),
                .init(service: StreamsService(pipelines: pipelines), successTerminationBehavior: .ignore),
            ],
            gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        do {
            try await group.run()
        } catch where http.withLock({ $0 }) == nil {
            await pipelines.stopAll()
            throw ListenerError(listener: "HTTP", host: configuration.host, port: configuration.httpPort, flag: "--http-port", error: error)
        }
        await pipelines.stopAll()
        logger.info("Sluice stopped")
    }

    /// Closes every listener; a running `run()` then returns.
    public func shutdown() async throws {
        srt.withLock { $0 }?.close()
        try await rtmp.shutdown()
    }
}
