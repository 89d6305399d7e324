import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// What the operator on call sees and can do: health, per-stream status, the live bitrate lever.
@Suite(.serialized) struct OperatorAPITests {
    struct Status: Decodable {
        struct Rung: Decodable { var name: String; var bitrateKbps: Int; var framesEncoded: Int }
        struct Rendition: Decodable { var name: String; var lastMSN: Int }
        struct Stream: Decodable {
            var path: String
            var publishing: Bool
            var unitsIn: Int
            var rungs: [Rung]
            var renditions: [Rendition]
        }
        var streams: [Stream]
    }

    static func status(_ h: ServerHarness) async throws -> Status {
        try JSONDecoder().decode(Status.self, from: Data(await h.get("api/v1/streams").body.utf8))
    }

    static func post(_ h: ServerHarness, _ path: String) async throws -> Int {
        var request = URLRequest(url: URL(string: h.url(path))!)
        request.httpMethod = "POST"
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test func statusListsTheStreamAndTheBitrateLeverMovesARung() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        #expect(await h.get("healthz").status == 200)
        let push = try h.rtmpPush(path: "live/ops")
        defer { push.kill() }

        var stream: Status.Stream?
        for _ in 0..<60 {
            stream = try await Self.status(h).streams.first { $0.path == "live/ops" }
            if let s = stream, s.rungs.count == 2, s.renditions.count == 3, s.rungs.allSatisfy({ $0.framesEncoded > 0 }) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let s = try #require(stream)
        #expect(s.publishing && s.unitsIn > 0)
        #expect(Set(s.rungs.map(\.name)) == ["360p", "240p"])
        #expect(Set(s.renditions.map(\.name)) == ["source", "360p", "240p"])
        #expect(s.rungs.first { $0.name == "360p" }?.bitrateKbps == 600)

        #expect(try await Self.post(h, "api/v1/bitrate?path=live/ops&rung=360p&kbps=300") == 204)
        #expect(try await Self.post(h, "api/v1/bitrate?path=live/ops&rung=1080p&kbps=300") == 404)
        #expect(try await Self.post(h, "api/v1/bitrate?path=live/ops&rung=360p") == 400)
        var applied = false
        for _ in 0..<40 where !applied {
            applied = try await Self.status(h).streams.first { $0.path == "live/ops" }?.rungs.first { $0.name == "360p" }?.bitrateKbps == 300
            if !applied { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(applied, "the encoder never took the new bitrate")
        #expect(await h.get("api/v1/nothing").status == 404)
    }
}
