import HLS
import Logging
import ServiceLifecycle
import StreamHub

/// The streams' lifecycle as a service. Listed last in the group, so on SIGTERM it stops first:
/// `/readyz` turns 503, every publisher is told the server is shutting down (RTMP onStatus) and
/// closed, every stream's open part and segment are finished and listed with ENDLIST and its
/// held blocking requests answered, viewers waiting for a show to start get their answer, all
/// while the HTTP origin still serves; then the origin and the ingest listeners close.
struct StreamsService: Service {
    let pipelines: StreamPipelines
    let hub: StreamHub
    let registry: HLSRegistry
    let logger: Logger
    let onShutdown: @Sendable () -> Void

    static let shutdownReason = "the server is shutting down"

    func run() async throws {
        try? await gracefulShutdown() // returns on shutdown or cancellation
        onShutdown()
        let stopped = hub.stopPublishers(reason: Self.shutdownReason)
        if stopped > 0 { logger.info("shutdown: publishers told and closed", metadata: ["publishers": "\(stopped)"]) }
        await pipelines.stopAll()
        registry.endAll()
    }
}
