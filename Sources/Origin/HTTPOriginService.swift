import HLS
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP origin as a service for the server's ServiceGroup: serves `registry` on `host:port`.
public struct HTTPOriginService: Service {
    public let registry: HLSRegistry
    public let host: String
    public let port: Int
    public let logger: Logger
    private let onRunning: @Sendable (Int) async -> Void

    /// `onRunning` gets the bound port (useful with port 0).
    public init(registry: HLSRegistry, host: String = "0.0.0.0", port: Int = 8080,
                logger: Logger = Logger(label: "sluice.origin"), onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.registry = registry
        self.host = host
        self.port = port
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let router = Router()
        OriginRoutes.register(on: router, registry: registry)
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "sluice"),
                              onServerRunning: { [onRunning] channel in await onRunning(channel.localAddress?.port ?? 0) },
                              logger: logger)
        try await app.run()
    }
}
