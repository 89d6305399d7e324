import Access
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
    /// The webhook's HTTP client lives here (shut down on stop) when access is the configured one.
    private let configuredAccess: ConfiguredAccess?
    private let srtAdmission: IngestAdmission
    private let originAccess: OriginAccess
    private let srt = Mutex<SRTIngestServer?>(nil)
    private let http = Mutex<Int?>(nil)
    public let registry: HLSRegistry
    let pipelines: StreamPipelines
    private let logger: Logger

    /// `access` nil: keys, tokens and the webhook from `config` (`auth`, `paths`), read per decision.
    public init(configuration: SluiceServerConfiguration, logger: Logger, access: (any AccessControl)? = nil) {
        self.configuration = configuration
        let config = ConfigStore(configuration.file)
        self.config = config
        self.logger = logger
        let registry = HLSRegistry()
        self.registry = registry
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
        self.rtmp = RTMPServer(configuration: rtmpConfiguration, hub: hub, access: self.access,
                               admission: IngestAdmission(perIP: ConnectionLimiter(config: config), maxPublishers: maxPublishers), logger: logger)
        self.pipelines = StreamPipelines(hub: hub, registry: registry, hls: configuration.hls, transcode: configuration.transcode,
                                         endGrace: configuration.endGrace, logger: logger)
    }

    /// The RTMP server's counters (connections, plays, player moves and skips, ...).
    public var rtmpStatistics: RTMPServerStatistics.Snapshot { rtmp.statistics.snapshot }

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
            srtServer = try SRTIngestServer(configuration: srtConfig, hub: hub, access: access, admission: srtAdmission, logger: logger)
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
        }, extraRoutes: { [hub, pipelines, registry] router in
            StatusRoutes.register(on: router, hub: hub, pipelines: pipelines, registry: registry)
        })
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
            await configuredAccess?.shutdown()
            throw ListenerError(listener: "HTTP", host: configuration.host, port: configuration.httpPort, flag: "--http-port", error: error)
        }
        await pipelines.stopAll()
        await configuredAccess?.shutdown()
        logger.info("Sluice stopped")
    }

    /// Closes every listener; a running `run()` then returns.
    public func shutdown() async throws {
        srt.withLock { $0 }?.close()
        await configuredAccess?.shutdown()
        try await rtmp.shutdown()
    }
}
