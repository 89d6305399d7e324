import Ingest
import Logging
import ServiceLifecycle
import StreamHub
import Synchronization

/// The composition of Sluice's listeners around one stream hub. `run()` serves until SIGINT or
/// SIGTERM and then shuts down gracefully. Add new listeners as services in `run()`.
public final class SluiceServer: Sendable {
    public let configuration: SluiceServerConfiguration
    public let hub: StreamHub
    public let rtmp: RTMPServer
    private let access: any AccessControl
    private let srt = Mutex<SRTIngestServer?>(nil)
    private let logger: Logger

    public init(configuration: SluiceServerConfiguration, logger: Logger, access: any AccessControl = AllowAll()) {
        self.configuration = configuration
        self.logger = logger
        self.hub = StreamHub()
        self.access = access
        self.rtmp = RTMPServer(configuration: RTMPServerConfiguration(host: configuration.host, port: configuration.rtmpPort),
                               hub: hub, access: access, logger: logger)
    }

    /// Bound RTMP port, once started.
    public var rtmpPort: Int? { rtmp.port }
    /// Bound SRT port, once started.
    public var srtPort: Int? { srt.withLock { $0?.port } }

    /// Binds every listener; returns once they accept connections.
    public func start() async throws {
        let port = try await rtmp.start()
        let shownHost = configuration.host == "0.0.0.0" || configuration.host == "::" ? "HOST" : configuration.host
        logger.info("push with RTMP to rtmp://\(shownHost):\(port)/live/<stream>", metadata: ["rtmp-port": "\(port)"])
        let srtServer = try SRTIngestServer(
            configuration: SRTIngestServer.Configuration(host: configuration.host, port: configuration.srtPort),
            hub: hub, access: access, logger: logger)
        srt.withLock { $0 = srtServer }
        logger.info("push with SRT to srt://\(shownHost):\(srtServer.port)?streamid=live/<stream>",
                    metadata: ["srt-port": "\(srtServer.port)"])
        logger.notice("HTTP origin not built yet", metadata: ["http-port": "\(configuration.httpPort)"])
    }

    /// Starts (if needed) and serves until SIGINT/SIGTERM or task cancellation.
    public func run() async throws {
        if rtmp.port == nil { try await start() }
        // A listener that closes (shutdown()) ends the whole group gracefully.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: RTMPIngestService(server: rtmp), successTerminationBehavior: .gracefullyShutdownGroup),
            ] + (srt.withLock { $0 }.map { [ServiceGroupConfiguration.ServiceConfiguration(service: SRTIngestService(server: $0))] } ?? []),
            gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        try await group.run()
        logger.info("Sluice stopped")
    }

    /// Closes every listener; a running `run()` then returns.
    public func shutdown() async throws {
        srt.withLock { $0 }?.close()
        try await rtmp.shutdown()
    }
}
