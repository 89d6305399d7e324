import Ingest
import Logging
import ServiceLifecycle
import StreamHub

/// The composition of Sluice's listeners around one stream hub. `run()` serves until SIGINT or
/// SIGTERM and then shuts down gracefully. Add new listeners as services in `run()`.
public final class SluiceServer: Sendable {
    public let configuration: SluiceServerConfiguration
    public let hub: StreamHub
    public let rtmp: RTMPServer
    private let logger: Logger

    public init(configuration: SluiceServerConfiguration, logger: Logger, access: any AccessControl = AllowAll()) {
        self.configuration = configuration
        self.logger = logger
        self.hub = StreamHub()
        self.rtmp = RTMPServer(configuration: RTMPServerConfiguration(host: configuration.host, port: configuration.rtmpPort),
                               hub: hub, access: access, logger: logger)
    }

    /// Bound RTMP port, once started.
    public var rtmpPort: Int? { rtmp.port }

    /// Binds every listener; returns once they accept connections.
    public func start() async throws {
        let port = try await rtmp.start()
        let shownHost = configuration.host == "0.0.0.0" || configuration.host == "::" ? "HOST" : configuration.host
        logger.info("push with RTMP to rtmp://\(shownHost):\(port)/live/<stream>", metadata: ["rtmp-port": "\(port)"])
        logger.notice("SRT listener not built yet", metadata: ["srt-port": "\(configuration.srtPort)"])
        logger.notice("HTTP origin not built yet", metadata: ["http-port": "\(configuration.httpPort)"])
    }

    /// Starts (if needed) and serves until SIGINT/SIGTERM or task cancellation.
    public func run() async throws {
        if rtmp.port == nil { try await start() }
        // A listener that closes (shutdown()) ends the whole group gracefully.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: RTMPIngestService(server: rtmp), successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        try await group.run()
        logger.info("Sluice stopped")
    }

    /// Closes every listener; a running `run()` then returns.
    public func shutdown() async throws {
        try await rtmp.shutdown()
    }
}
