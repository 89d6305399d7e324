import ServiceLifecycle

/// The streams' lifecycle as a service. Listed last in the group, so on SIGTERM it stops first:
/// every stream gets ENDLIST and its held blocking requests are answered while the HTTP origin
/// still serves them; then the origin and the ingest listeners close.
struct StreamsService: Service {
    let pipelines: StreamPipelines

    func run() async throws {
        try? await gracefulShutdown() // returns on shutdown or cancellation
        await pipelines.stopAll()
    }
}
