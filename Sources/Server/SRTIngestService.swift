import Ingest
import ServiceLifecycle

/// The SRT listener as a service: it runs on its own epoll thread; this waits for shutdown
/// and then closes it.
struct SRTIngestService: Service {
    let server: SRTIngestServer

    func run() async throws {
        try? await gracefulShutdown() // returns on graceful shutdown or cancellation
        server.close()
    }
}
