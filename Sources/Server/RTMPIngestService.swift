import Ingest
import ServiceLifecycle

/// The RTMP listener as a service: runs until graceful shutdown or cancellation, then closes.
struct RTMPIngestService: Service {
    let server: RTMPServer

    func run() async throws {
        let server = self.server
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await server.waitUntilClosed()
            } onGracefulShutdown: {
                server.close()
            }
        } onCancel: {
            server.close()
        }
    }
}
