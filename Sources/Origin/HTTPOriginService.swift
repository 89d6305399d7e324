import HLS
import Hummingbird
import HummingbirdCore
import Logging
import MediaCore
import NIOCore
import ServiceLifecycle

/// The HTTP origin as a service for the server's ServiceGroup: serves `registry` on `host:port`.
public struct HTTPOriginService: Service {
    public let registry: HLSRegistry
    public let host: String
    public let port: Int
    public let logger: Logger
    public let limits: OriginLimits
    /// On graceful shutdown, end every stream first (`HLSRegistry.endAll()`): held blocking
    /// reloads are answered with ENDLIST instead of a reset, then the connections drain.
    public let endStreamsOnShutdown: Bool
    /// Told of every answered request (metrics, viewer analytics).
    public let observer: (any OriginObserver)?
    /// Signed play URLs and the per-IP connection limit (nil: open).
    public let access: OriginAccess?
    private let onRunning: @Sendable (Int) async -> Void
    private let extraRoutes: @Sendable (Router<BasicRequestContext>) -> Void

    /// `onRunning` gets the bound port (useful with port 0); `extraRoutes` adds the server's own
    /// routes (status API) next to the HLS ones.
    public init(registry: HLSRegistry, host: String = "0.0.0.0", port: Int = 8080,
                logger: Logger = Logger(label: "sluice.origin"), limits: OriginLimits = OriginLimits(),
                endStreamsOnShutdown: Bool = true, observer: (any OriginObserver)? = nil, access: OriginAccess? = nil,
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
                extraRoutes: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in }) {
        self.registry = registry
        self.host = host
        self.port = port
        self.logger = logger
        self.limits = limits
        self.endStreamsOnShutdown = endStreamsOnShutdown
        self.observer = observer
        self.access = access
        self.onRunning = onRunning
        self.extraRoutes = extraRoutes
    }

    public func run() async throws {
        let router = Router()
        // First, so it sees every route's answer (middleware applies to routes added after it).
        if let observer { router.add(middleware: OriginObserverMiddleware(observer: observer)) }
        extraRoutes(router)
        OriginRoutes.register(on: router, registry: registry, access: access)
        let serverName = "sluice"
        let app = Application(router: router,
                              server: HTTPServerBuilder { [registry, limits, observer, access] responder in
                                  OriginHTTP1Channel(responder: responder, registry: registry, serverName: serverName, limits: limits,
                                                     observer: observer, access: access)
                              },
                              configuration: .init(address: .hostname(host, port: port), serverName: serverName,
                                                   backlog: 4096, // viewers arrive in waves when a show starts
                                                   availableConnectionsDelegate: OriginConnectionLimit(maximum: limits.maxConnections,
                                                                                                       logger: logger, observer: observer)),
                              onServerRunning: { [onRunning, logger] channel in
                                  // Out of descriptors: pause accepting for a second, say so (one line per 10 s).
                                  try? await channel.eventLoop.submit {
                                      var lastLine: NIODeadline?
                                      var suppressed = 0
                                      let backoff = ListenerBackoff { error in
                                          let now = NIODeadline.now()
                                          if let last = lastLine, now - last < .seconds(10) {
                                              suppressed += 1
                                              return
                                          }
                                          logger.error("HTTP accept failed, pausing accepts for 1 s: \(error)",
                                                       metadata: ["port": "\(channel.localAddress?.port ?? 0)", "since-last-line": "\(suppressed)"])
                                          lastLine = now
                                          suppressed = 0
                                      }
                                      try channel.pipeline.syncOperations.addHandler(backoff, position: .first)
                                  }.get()
                                  await onRunning(channel.localAddress?.port ?? 0)
                              },
                              logger: logger)
        // Accept failures (EMFILE) pause the listener (ListenerBackoff); the connection limit
        // keeps the origin below that point.
        if endStreamsOnShutdown {
            try await withGracefulShutdownHandler {
                try await app.run()
            } onGracefulShutdown: { [registry] in
                registry.endAll()
            }
        } else {
            try await app.run()
        }
    }
}
