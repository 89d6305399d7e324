import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HLS
import Testing
import TestSupport

/// The origin counts the media requests it answers per rendition (status API
/// `renditions[].requests`, `partsPublished`), and `sluice bench viewers` reports them as
/// requests per part: through a real server, with real clients.
@Suite(.serialized) struct OriginRequestCountTests {
    static func counters(_ h: ServerHarness, _ path: String, _ rendition: String) async throws -> (published: Int, playlists: Int, parts: Int, segments: Int) {
        let body = await h.get("api/v1/streams/\(path)").body
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        let renditions = try #require(object["renditions"] as? [[String: Any]])
        let r = try #require(renditions.first { $0["name"] as? String == rendition }, "no \(rendition) in \(body)")
        let requests = try #require(r["requests"] as? [String: Any])
        return (try #require(r["partsPublished"] as? Int), try #require(requests["playlists"] as? Int),
                try #require(requests["parts"] as? Int), try #require(requests["segments"] as? Int))
    }

    @Test func theStatusAPICountsEachMediaRequestOfARendition() async throws {
        let h = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/count")
        defer { push.kill() }
        // A complete segment exists: the multivariant playlist is answered once there is one.
        #expect(await eventuallyAsync(within: 30) { variantCount(await h.get("live/count/index.m3u8").body) == 2 })

        let before = try await Self.counters(h, "live/count", "240p")
        // This test is the rendition's only client: each request below is one count.
        let playlist = try PlaylistReader.media(await h.get("live/count/240p/index.m3u8").body)
        let complete = try #require(playlist.segments.first { $0.uri != nil })
        let parts = playlist.segments.flatMap(\.parts).suffix(3)
        #expect(parts.count == 3)
        for part in parts { #expect(await h.get("live/count/240p/\(part.uri)").status == 200) }
        #expect(await h.get("live/count/240p/\(complete.uri!)").status == 200)
        #expect(await h.get("live/count/240p/\(try #require(complete.map))").status == 200)
        #expect(await h.get("live/count/240p/part999999999.m4s").status == 404) // answered, and counted
        #expect(await h.get("live/count/240p/index.m3u8?_HLS_skip=YES").status == 200)
        let after = try await Self.counters(h, "live/count", "240p")
        #expect(after.playlists - before.playlists == 2)
        #expect(after.parts - before.parts == parts.count + 1)
        #expect(after.segments - before.segments == 2)
        #expect(after.published >= before.published && before.published >= parts.count)
        let src = try await Self.counters(h, "live/count", "source")
        #expect(src.parts == 0 && src.segments == 0, "nobody asked for the source rendition's media")

        // The same counters through `sluice bench viewers`, which reads them with the API token.
        guard FileManager.default.isExecutableFile(atPath: sluiceBinary) else { return }
        let bench = try ExternalProcess(sluiceBinary, ["bench", "viewers", "--url", h.url("live/count/240p/index.m3u8"), "--count", "3",
                                                       "--duration", "3", "--threads", "1", "--api-token", h.server.apiToken, "--json"])
        #expect(await bench.waitForExit(seconds: 30) == 0, "\(bench.errors)")
        let last = try #require(bench.output.split(separator: "\n").last)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(bench.output)")
        let perPart = try #require(report["origin_requests_per_part"] as? [String: [String: Any]], "\(bench.output)")
        let viewed = try #require(perPart["240p"], "\(bench.output)")
        #expect((viewed["parts_published"] as? Int ?? 0) > 0, "\(bench.output)")
        #expect((viewed["part_requests"] as? Int ?? 0) > 0, "\(bench.output)")
        #expect(perPart["source"]?["part_requests"] as? Int == 0, "\(bench.output)")
        #expect(report["listed_at_origin_to_delivery_ms_p99"] is Double, "\(bench.output)")
        #expect(bench.output.contains("origin requests per part per rendition"), "\(bench.output)")
    }
}
