import Foundation
import HLS
import Server
import Testing
import TestSupport

/// An edge Sluice pulls from an origin Sluice on its first viewer (over RTMP, SRT play, and the
/// origin's own LL-HLS/CMAF through libavformat's hls demuxer), serves the pulled path's LL-HLS
/// ladder, and stops pulling when the viewers are gone.
@Suite(.serialized) struct PullTests {
    @Test(arguments: ["rtmp", "srt", "hls"])
    func anEdgePullsFromTheOriginOnDemandAndStopsWhenIdle(transport: String) async throws {
        let origin = try await ServerHarness.start(ladder: "240p:250k")
        let originRTMP = origin.server.rtmpPort!, originSRT = origin.server.srtPort!, originHTTP = origin.httpPort
        let edge = try await ServerHarness.start(ladder: "240p:250k") { config in
            config.pullSource = { path in
                guard path.hasPrefix("live/"), path.split(separator: "/").count == 2 else { return nil }
                let url = switch transport {
                case "rtmp": "rtmp://127.0.0.1:\(originRTMP)/{path}"
                case "srt": "srt://127.0.0.1:\(originSRT)?streamid=#!::r={path},m=request"
                default: "http://127.0.0.1:\(originHTTP)/{path}/index.m3u8" // multivariant: the best variant is pulled
                }
                return PullSource(url: url, idleTimeout: .seconds(3))
            }
        }
        defer { Task { await origin.stop(); await edge.stop() } }
        let push = try origin.rtmpPush(path: "live/show")
        defer { push.kill() }
        #expect(await eventually(within: 30) { origin.server.hub.stream("live/show")?.hasPublisher == true })
        #expect(edge.server.pulling.paths.isEmpty, "nothing is pulled before a viewer asks")

        // The first viewer's request starts the pull and is held until the ladder is there.
        var master = ""
        for _ in 0..<60 where variantCount(master) < 2 {
            master = await edge.get("live/show/index.m3u8").body
            if variantCount(master) < 2 { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(variantCount(master) == 2, "edge multivariant: \(master)")
        #expect(edge.server.pulling.paths == ["live/show"])
        #expect(await edge.get("live/show/240p/index.m3u8").status == 200)
        let status = await edge.get("api/v1/streams/live/show").body
        #expect(Self.publisherProtocol(status) == "pull", "edge status while pulling: \(status)")
        // It plays: the edge's rendition keeps publishing parts (a blocking reload for parts ahead returns them).
        let first = try PlaylistReader.media(await edge.get("live/show/240p/index.m3u8").body)
        let latest = try #require(first.latestPart)
        let later = try PlaylistReader.media(await edge.get("live/show/240p/index.m3u8?_HLS_msn=\(latest.msn + 1)&_HLS_part=0").body)
        #expect((later.latestPart?.msn ?? 0) > latest.msn, "the pulled rendition did not advance past \(latest)")
        // A path the origin does not have is tried, and fails, without touching the others.
        _ = await edge.get("live/none/index.m3u8")

        // No more viewers: after the idle time the edge lets go of the path.
        #expect(await eventually(within: 20) { edge.server.pulling.paths.isEmpty }, "still pulling: \(edge.server.pulling.paths)")
        #expect(await eventually(within: 20) { edge.server.hub.stream("live/show")?.hasPublisher != true })
        let idle = await edge.get("api/v1/streams/live/show").body
        #expect(Self.publisherProtocol(idle) == nil, "edge status after the idle time: \(idle)")
        #expect(origin.server.hub.stream("live/show")?.hasPublisher == true, "the origin's show goes on")
    }

    /// `publisher.protocol` of a `GET /api/v1/streams/{path}` answer (nil: nobody publishes, or no stream).
    static func publisherProtocol(_ json: String) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return (object?["publisher"] as? [String: Any])?["protocol"] as? String
    }
}
