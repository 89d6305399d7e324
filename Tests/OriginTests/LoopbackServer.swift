import HLS
import Hummingbird
import Logging
import Origin
import ServiceLifecycle
import Synchronization

/// The origin on 127.0.0.1, port 0, inside a ServiceGroup; `stop()` shuts it down gracefully.
struct LoopbackServer {
    let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>

    static func start(_ registry: HLSRegistry, limits: OriginLimits = OriginLimits(),
                      extraRoutes: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in }) async throws -> LoopbackServer {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test.origin")
        logger.logLevel = .warning
        let service = HTTPOriginService(registry: registry, host: "127.0.0.1", port: 0, logger: logger, limits: limits,
                                        onRunning: { continuation.yield($0); continuation.finish() }, extraRoutes: extraRoutes)
        let group = ServiceGroup(services: [service], logger: logger)
        let task = Task { try await group.run() }
        var port = 0
        for await p in ports { port = p }
        return LoopbackServer(port: port, group: group, task: task)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}
