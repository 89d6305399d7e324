import Access
import Logging
import MediaCore
import NIOCore
import NIOPosix
import StreamHub
import Synchronization

/// The RTMP listener: publishers feed the hub, players read from it.
public final class RTMPServer: Sendable {
    public let configuration: RTMPServerConfiguration
    public let hub: StreamHub
    public let statistics = RTMPServerStatistics()
    private let access: any AccessControl
    private let admission: IngestAdmission
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = Mutex(State())
    private let refusals = LogThrottle()
    private let acceptFailures = LogThrottle()

    struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    public init(configuration: RTMPServerConfiguration, hub: StreamHub, access: any AccessControl = AllowAll(),
                admission: IngestAdmission = IngestAdmission(),
                logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.admission = admission
        self.hub = hub
        self.access = access
        self.logger = logger
        self.group = group
    }

    /// The bound port, once started.
    public var port: Int? { state.withLock { $0.listener?.localAddress?.port } }
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Binds the listener. Returns the port actually bound (useful with port 0).
    @discardableResult
    public func start() async throws -> Int {
        let hub = self.hub, access = self.access, logger = self.logger, config = self.configuration, admission = self.admission
        let statistics = self.statistics
        let acceptFailures = self.acceptFailures
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                // Out of descriptors (EMFILE): stop accepting for a second instead of spinning.
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ListenerBackoff { error in
                        if let suppressed = acceptFailures.admit() {
                            logger.error("RTMP accept failed, pausing accepts for 1 s: \(error)",
                                         metadata: ["port": "\(channel.localAddress?.port ?? config.port)", "since-last-line": "\(suppressed)"])
                        }
                    })
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1) // finds peers that vanished without a FIN
            .childChannelInitializer { channel in
                if let perIP = admission.perIP {
                    let ip = channel.remoteAddress?.ipAddress ?? "?"
                    guard perIP.open(ip) else {
                        statistics.refusedConnections.add(1, ordering: .relaxed)
                        if let suppressed = perIP.shouldLog() {
                            logger.warning("RTMP connection refused: too many connections from \(ip) (limits.maxConnectionsPerIP)",
                                           metadata: ["refused-since-last-line": "\(suppressed)"])
                        }
                        return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                    }
                    channel.closeFuture.whenComplete { _ in perIP.close(ip) }
                }
                guard self.track(channel) else {
                    statistics.refusedConnections.add(1, ordering: .relaxed)
                    if let suppressed = self.refusals.admit() {
                        logger.warning("RTMP connection refused: \(config.maxConnections) connections open",
                                       metadata: ["peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")",
                                                  "refused-since-last-line": "\(suppressed)"])
                    }
                    // A failed initializer makes NIO close the socket before it is registered.
                    return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RTMPConnectionHandler(
                        hub: hub, access: access, logger: logger, configuration: config, statistics: statistics, admission: admission))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        state.withLock { $0.listener = channel }
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("RTMP listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        return port
    }

    /// False when `maxConnections` are open already.
    private func track(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = state.withLock { s -> Bool in
            guard s.connections.count < configuration.maxConnections else { return false }
            s.connections[id] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { _ in _ = self.state.withLock { $0.connections.removeValue(forKey: id) } }
        }
        return admitted
    }

    /// Returns when the listener has closed.
    public func waitUntilClosed() async throws {
        guard let listener = state.withLock({ $0.listener }) else { return }
        try await listener.closeFuture.get()
    }

    /// Starts closing the listener and every connection; returns at once (safe from any thread).
    public func close() {
        let (listener, connections) = state.withLock { s in (s.listener, Array(s.connections.values)) }
        for c in connections { c.close(promise: nil) }
        listener?.close(promise: nil)
    }

    /// Stops accepting, closes every connection and waits for the listener to close.
    public func shutdown() async throws {
        close()
        try await waitUntilClosed()
        logger.info("RTMP listener closed")
    }
}
