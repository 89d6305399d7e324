import Foundation
import HLS
import Hummingbird
import HummingbirdTesting
import NIOCore
import Origin
import Testing

/// The web player and the hls.js ABR controller the origin serves, through the router tester.
@Suite struct PlayerRoutesTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Origin/Player")

    func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router()
        OriginRoutes.register(on: router, registry: HLSRegistry(joinWait: .zero))
        try await Application(router: router).test(.router) { client in try await body(client) }
    }

    /// What is served is the file in the source tree (compiled in), byte for byte: the parity
    /// test runs `PlayerRoutes.sluiceABRScript`, so it runs what players get.
    @Test func servesTheControllerFileAsJavaScriptWithCORS() async throws {
        let file = try Data(contentsOf: Self.sources.appendingPathComponent("sluice-abr.js"))
        #expect(Data(PlayerRoutes.sluiceABRScript.utf8) == file)
        try await withApp { client in
            try await client.execute(uri: "/player/sluice-abr.js", method: .get) { res in
                #expect(res.status == .ok)
                #expect(res.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(res.headers[.accessControlAllowOrigin] == "*")
                #expect(Data(buffer: res.body) == file)
            }
            try await client.execute(uri: "/player/sluice-abr.js", method: .options) { res in
                #expect(res.status == .noContent)
                #expect(res.headers[.accessControlAllowOrigin] == "*")
            }
        }
    }

    @Test func servesThePlayerPageThatLoadsTheController() async throws {
        let file = try Data(contentsOf: Self.sources.appendingPathComponent("player.html"))
        try await withApp { client in
            try await client.execute(uri: "/player?src=/live/cam/index.m3u8", method: .get) { res in
                #expect(res.status == .ok)
                #expect(res.headers[.contentType] == "text/html; charset=utf-8")
                #expect(Data(buffer: res.body) == file)
                #expect(String(buffer: res.body).contains("/player/sluice-abr.js"))
            }
            // Other paths are still the origin's: 404 for what is not a live stream.
            try await client.execute(uri: "/player/other.js", method: .get) { res in
                #expect(res.status == .notFound)
            }
        }
    }
}
