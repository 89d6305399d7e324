import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `/metrics` and the viewer analytics against a real ffmpeg publisher, two plain-HTTP HLS
/// viewers and an ffmpeg RTMP player.
@Suite(.serialized) struct MetricsEndToEndTests {
    struct Status: Decodable {
        struct Analytics: Decodable {
            var viewers: Int
            var hlsViewers: Int
            var rtmpViewers: Int
            var peakViewers: Int
            var uniqueViewers: Int
            var joins: Int
            var joinTimeP50Seconds: Double?
            var joinTimeP95Seconds: Double?
            var renditions: [String: Int]
        }
        struct Rendition: Decodable { var name: String; var lastMSN: Int }
        struct Stream: Decodable {
            var path: String
            var renditions: [Rendition]
            var analytics: Analytics?
        }
        var streams: [Stream]
    }

    static func stream(_ h: ServerHarness, _ path: String) async throws -> Status.Stream? {
        // The operator token, where one is configured (the API is behind it).
        let token = h.server.config.current.api.token ?? ""
        let body = try await get(h, "api/v1/streams", headers: token.isEmpty ? [:] : ["Authorization": "Bearer \(token)"]).body
        return try JSONDecoder().decode(Status.self, from: Data(body.utf8)).streams.first { $0.path == path }
    }

    /// GET with a User-Agent (the analytics' viewer identity) and optional headers.
    static func get(_ h: ServerHarness, _ path: String, userAgent: String = "sluice-tests",
                    headers: [String: String] = [:]) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: try #require(URL(string: h.url(path))))
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    static func scrape(_ h: ServerHarness) async throws -> PrometheusText {
        let (status, body) = try await get(h, "metrics")
        #expect(status == 200)
        return try PrometheusText(parsing: body)
    }

    /// A viewer as a player starts: multivariant playlist, media playlist, first listed part.
    static func watch(_ h: ServerHarness, path: String, rendition: String, userAgent: String) async throws {
        #expect(try await get(h, "\(path)/index.m3u8", userAgent: userAgent).status == 200)
        let (status, playlist) = try await get(h, "\(path)/\(rendition)/index.m3u8", userAgent: userAgent)
        #expect(status == 200)
        let partLine = try #require(playlist.split(separator: "\n").first { $0.hasPrefix("#EXT-X-PART:") })
        let uri = try #require(partLine.split(separator: "\"").dropFirst().first)
        #expect(try await get(h, "\(path)/\(rendition)/\(uri)", userAgent: userAgent).status == 200)
    }

    @Test func metricsParseAndMoveAndViewersAreCounted() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let path = "live/metrics"
        let push = try h.rtmpPush(path: path)
        defer { push.kill() }

        // Wait for every rendition to have parts (the API, not a playlist: it would be a viewer).
        var ready = false
        for _ in 0..<80 where !ready {
            ready = try await Self.stream(h, path).map { $0.renditions.count == 3 && $0.renditions.allSatisfy { $0.lastMSN >= 1 } } ?? false
            if !ready { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(ready, "the stream never got three renditions")

        let first = try await Self.scrape(h)
        let bytes1 = first.sum("sluice_ingest_bytes_total", ["path": path, "protocol": "rtmp"])
        #expect(bytes1 > 0)
        #expect(first.types["sluice_ingest_bytes_total"] == "counter")

        try await Self.watch(h, path: path, rendition: "360p", userAgent: "viewer-a")
        try await Self.watch(h, path: path, rendition: "source", userAgent: "viewer-b")
        #expect(try await Self.get(h, "live/nothing/360p/part1.m4s").status == 404)

        let player = try ExternalProcess("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", "rtmp://127.0.0.1:\(h.server.rtmpPort!)/\(path)",
                                                    "-t", "20", "-f", "null", "-"])
        defer { player.kill() }
        var analytics: Status.Analytics?
        for _ in 0..<60 {
            // The viewers keep polling their playlists, as players do (else they time out).
            #expect(try await Self.get(h, "\(path)/360p/index.m3u8", userAgent: "viewer-a").status == 200)
            #expect(try await Self.get(h, "\(path)/source/index.m3u8", userAgent: "viewer-b").status == 200)
            analytics = try await Self.stream(h, path)?.analytics
            if let a = analytics, a.rtmpViewers >= 1 { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let a = try #require(analytics)
        #expect(a.hlsViewers == 2)
        #expect(a.rtmpViewers == 1)
        #expect(a.viewers == 3 && a.peakViewers >= 3)
        #expect(a.uniqueViewers == 3)
        #expect(a.joins == 2)
        #expect(a.joinTimeP50Seconds != nil && a.joinTimeP95Seconds != nil)
        #expect(a.renditions["360p"] == 1)
        #expect(a.renditions["source"] == 2) // viewer-b and the RTMP player

        let second = try await Self.scrape(h)
        #expect(second.sum("sluice_ingest_bytes_total", ["path": path, "protocol": "rtmp"]) > bytes1)
        #expect(second.sum("sluice_ingest_frames_total", ["path": path]) > 0)
        #expect(second.sum("sluice_http_requests_total", ["status": "404", "route": "part"]) >= 1)
        #expect(second.sum("sluice_http_requests_total", ["status": "200", "route": "playlist"]) >= 4)
        #expect(second.sum("sluice_http_requests_total", ["status": "200", "route": "part"]) >= 2)
        #expect(second.sum("sluice_viewers", ["path": path, "protocol": "hls"]) == 2)
        #expect(second.sum("sluice_viewers", ["path": path, "protocol": "rtmp"]) == 1)
        #expect(second.sum("sluice_unique_viewers", ["path": path]) == 3)
        #expect(second.sum("sluice_connections", ["protocol": "rtmp"]) >= 2)
        #expect(second.sum("sluice_connections", ["protocol": "http"]) >= 1)
        #expect(second.sum("sluice_rtmp_events_total", ["event": "publishes"]) == 1)
        #expect(second.sum("sluice_rtmp_events_total", ["event": "plays"]) >= 1)
        #expect(second.types["sluice_stage_latency_seconds"] == "histogram")
        for stage in ["decoded", "encoded", "published"] {
            #expect(second.sum("sluice_stage_latency_seconds_count", ["path": path, "stage": stage]) > 0, "stage \(stage)")
        }
        #expect(second.sum("sluice_join_time_seconds_count", ["path": path]) == 2)
        #expect(second.sum("sluice_encoded_frames_total", ["path": path, "rendition": "360p"]) > 0)
        #expect(second.samples.contains { $0.name == "sluice_encode_fps" && $0.labels["rendition"] == "240p" })
        // No raw request path ever becomes a label value.
        #expect(!second.samples.contains { $0.labels.values.contains { $0.contains(".m3u8") || $0.contains(".m4s") } })
        #expect(Set(second.samples.compactMap { $0.labels["route"] }).isSubset(of: ["playlist", "part", "segment", "api", "other"]))

        // metrics.requireToken, read per request from the live configuration.
        var config = h.server.config.current
        config.metrics.requireToken = true
        config.api.token = "s3cret"
        h.server.config.replace(with: config)
        #expect(try await Self.get(h, "metrics").status == 401)
        #expect(try await Self.get(h, "metrics", headers: ["Authorization": "Bearer wrong"]).status == 401)
        let authorized = try await Self.get(h, "metrics", headers: ["Authorization": "Bearer s3cret"])
        #expect(authorized.status == 200)
        _ = try PrometheusText(parsing: authorized.body)
        config.metrics.enabled = false
        h.server.config.replace(with: config)
        #expect(try await Self.get(h, "metrics").status == 404)
    }
}
