import Foundation
import Logging
import Server
import Testing

@Suite struct SluiceServerTests {
    @Test func serveBindsAnEphemeralPortAcceptsPublishersAndShutsDown() async throws {
        let server = SluiceServer(configuration: SluiceServerConfiguration(host: "127.0.0.1", rtmpPort: 0, srtPort: 0, httpPort: 0),
                                  logger: IngestTestSupport.logger)
        try await server.start()
        let port = try #require(server.rtmpPort)
        #expect(port > 0)
        let running = Task { try await server.run() }
        let client = try await RawRTMPClient.connect(port: port)
        _ = try await client.publish(name: "served")
        #expect(server.hub.stream("live/served") != nil)
        try await server.shutdown()
        try await running.value // run() returns once the listener closed
        #expect(await client.waitUntilClosed())
    }
}
