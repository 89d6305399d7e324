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
        await h.request("POST", path).status ?? 0
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

/// Issue 12 item 2: the operator token on every `/api/v1/` path, CORS, one stream in detail
/// (publisher, tracks, renditions, viewers), kicking a publisher, the server's own status.
@Suite(.serialized) struct OperatorAPIAccessTests {
    struct Detail: Decodable {
        struct Publisher: Decodable {
            var `protocol`: String
            var remoteAddress: String
            var uptimeSeconds: Double
            var bitrateKbps: Int
            var fps: Double
        }
        struct Track: Decodable { var kind: String; var codec: String; var width: Int?; var fps: Double?; var bitrateKbps: Int? }
        struct Rendition: Decodable { var name: String; var bitrateKbps: Int; var fps: Double? }
        struct Viewers: Decodable { var total: Int; var rtmp: Int }
        struct Drops: Decodable { var total: Int }
        var path: String
        var publishing: Bool
        var publisher: Publisher?
        var uptimeSeconds: Double?
        var tracks: [Track]
        var renditions: [Rendition]
        var viewers: Viewers
        var drops: Drops
    }

    struct ServerInfo: Decodable {
        struct Listener: Decodable { var `protocol`: String; var port: Int? }
        var version: String
        var ready: Bool
        var listeners: [Listener]
        var publishing: Int
    }

    static func detail(_ h: ServerHarness, _ path: String) async -> Detail? {
        let answer = await h.get("api/v1/streams/\(path)")
        guard answer.status == 200 else { return nil }
        return try? JSONDecoder().decode(Detail.self, from: Data(answer.body.utf8))
    }

    static func isJSONError(_ body: String) -> Bool {
        ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any])?["error"] is String
    }

    @Test func everyAPIPathNeedsTheTokenButHealthAndReadinessDoNot() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        #expect(h.server.apiToken.count == 64, "a token is generated when none is configured")
        #expect(await h.request("GET", "healthz", token: "").status == 200)
        #expect(await h.request("GET", "readyz", token: "").status == 200)
        #expect(await h.request("GET", "", token: "").status == 200, "the dashboard page itself is open")
        // `/api/v1/anything/else` stands for routes other files add: guarded without being named.
        for (method, path) in [("GET", "api/v1/streams"), ("GET", "api/v1/server"), ("GET", "api/v1/streams/live/x"),
                               ("DELETE", "api/v1/streams/live/x/publisher"), ("POST", "api/v1/bitrate?path=a&rung=b&kbps=100"),
                               ("POST", "api/v1/anything/else")] {
            for token in ["", "wrong", String(h.server.apiToken.dropLast())] {
                let answer = await h.request(method, path, token: token)
                #expect(answer.status == 401, "\(method) \(path) with token '\(token)': \(answer.status ?? 0)")
                #expect(answer.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
                #expect(Self.isJSONError(answer.body), "\(answer.body)")
            }
        }
        let ok = await h.request("GET", "api/v1/streams")
        #expect(ok.status == 200)
        #expect(ok.headers["access-control-allow-origin"] == "*")
        // A browser's preflight carries no credentials; it is answered before the check.
        let preflight = await h.request("OPTIONS", "api/v1/streams/live/x/publisher", token: "",
                                        headers: ["Origin": "http://ops.example", "Access-Control-Request-Method": "DELETE",
                                                  "Access-Control-Request-Headers": "authorization"])
        #expect(preflight.status == 204)
        #expect(preflight.headers["access-control-allow-headers"]?.contains("Authorization") == true)
        #expect(preflight.headers["access-control-allow-methods"]?.contains("DELETE") == true)
        let missing = await h.get("api/v1/streams/live/absent")
        #expect(missing.status == 404 && Self.isJSONError(missing.body), "\(missing)")
        let unknown = await h.get("api/v1/nothing")
        #expect(unknown.status == 404 && Self.isJSONError(unknown.body), "\(unknown)")

        let info = try JSONDecoder().decode(ServerInfo.self, from: Data(await h.get("api/v1/server").body.utf8))
        #expect(info.ready && !info.version.isEmpty)
        #expect(Set(info.listeners.map(\.protocol)) == ["rtmp", "srt", "http"])
        #expect(info.listeners.allSatisfy { ($0.port ?? 0) > 0 })
    }

    @Test func anEmptyTokenTurnsTheCheckOff() async throws {
        let h = try await ServerHarness.start { $0.file.api.token = "" }
        defer { Task { await h.stop() } }
        #expect(h.server.apiToken == "")
        #expect(await h.request("GET", "api/v1/streams", token: "").status == 200)
    }

    @Test func aStreamInDetailCountsItsViewersAndItsPublisherCanBeKicked() async throws {
        let h = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/shop")
        defer { push.kill() }
        var detail: Detail?
        let measured = await eventuallyAsync(within: 30) {
            detail = await Self.detail(h, "live/shop")
            guard let d = detail, let p = d.publisher else { return false }
            return p.fps > 0 && p.bitrateKbps > 0 && d.renditions.count == 2 && d.renditions.allSatisfy { $0.bitrateKbps > 0 }
                && d.tracks.contains { $0.kind == "video" && ($0.fps ?? 0) > 0 }
        }
        #expect(measured, "\(String(describing: detail))")
        let d = try #require(detail)
        #expect(d.publishing && d.publisher?.protocol == "rtmp")
        #expect(d.publisher?.remoteAddress.hasPrefix("127.0.0.1:") == true)
        #expect(d.tracks.first { $0.kind == "video" }?.codec == "h264" && d.tracks.first { $0.kind == "video" }?.width == 640)
        #expect(d.viewers.total == 0)
        #expect(d.drops.total >= 0)

        // An RTMP player joins: the viewer count moves.
        let player = try ExternalProcess("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", "rtmp://127.0.0.1:\(h.server.rtmpPort!)/live/shop",
                                                    "-f", "null", "-"])
        defer { player.kill() }
        #expect(await eventuallyAsync(within: 20) { await Self.detail(h, "live/shop")?.viewers.rtmp == 1 }, "the player never counted")
        player.kill()
        #expect(await eventuallyAsync(within: 20) { await Self.detail(h, "live/shop")?.viewers.total == 0 }, "the player never left")

        let kicked = await h.request("DELETE", "api/v1/streams/live/shop/publisher?reason=rehearsal%20over")
        #expect(kicked.status == 202, "\(kicked)")
        #expect(kicked.body.contains("rehearsal over"))
        #expect(await eventuallyAsync(within: 10) { await Self.detail(h, "live/shop")?.publishing == false })
        #expect(await eventually(within: 10) { !push.isRunning }, "ffmpeg kept publishing after the kick")
        let again = await h.request("DELETE", "api/v1/streams/live/shop/publisher")
        #expect(again.status == 404 && Self.isJSONError(again.body))
        #expect(await h.request("DELETE", "api/v1/streams/live/shop").status == 404)
    }
}

extension OperatorAPIAccessTests {
    /// SRT has no status message: the kick closes the connection and the stream ends at once
    /// (not after the publisher idle timeout).
    @Test func anSRTPublisherCanBeKickedToo() async throws {
        let h = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await h.stop() } }
        let push = try h.srtPush(path: "live/srtkick")
        defer { push.kill() }
        #expect(await eventuallyAsync(within: 30) { await Self.detail(h, "live/srtkick")?.publisher?.protocol == "srt" })
        let kicked = await h.request("DELETE", "api/v1/streams/live/srtkick/publisher")
        #expect(kicked.status == 202, "\(kicked)")
        #expect(await eventuallyAsync(within: 10) { await Self.detail(h, "live/srtkick")?.publishing == false })
    }
}

/// Polls an async `condition` until it holds or `seconds` pass: a bound on a test, not a speed check.
func eventuallyAsync(within seconds: Double, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return await condition()
}
