import Foundation
import Testing
import TestSupport

/// Issue 9 finding 11 through the whole server: a publisher may not take a path that overlaps
/// one the origin still serves (`live/legit/source` would shadow `live/legit`'s source
/// rendition), neither while it is live nor during its republish grace.
@Suite(.serialized) struct PathOverlapTests {
    @Test func aNestedPathCannotShadowALiveOrGracedStream() async throws {
        let h = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await h.stop() } }
        let legit = try h.rtmpPush(path: "live/legit")
        var playlist = ""
        for _ in 0..<60 where !playlist.contains("#EXT-X-PART") {
            try await Task.sleep(for: .milliseconds(500))
            playlist = await h.get("live/legit/source/index.m3u8").body
        }
        #expect(playlist.contains("#EXT-X-PART"), "legit never served: \(playlist)")

        // While live: refused, and ffmpeg is told so (it exits).
        let whileLive = try h.rtmpPush(path: "live/legit/source", seconds: 20)
        let liveStatus = await whileLive.waitForExit(seconds: 15)
        #expect(!whileLive.isRunning && liveStatus != 0, "the nested publish was not refused")
        // In the grace after the publisher left: the origin still serves it, so still refused.
        legit.kill()
        let inGrace = try h.rtmpPush(path: "live/legit/source", seconds: 20)
        let graceStatus = await inGrace.waitForExit(seconds: 15)
        #expect(!inGrace.isRunning && graceStatus != 0, "the nested publish was not refused during the grace")

        let after = await h.get("live/legit/source/index.m3u8")
        #expect(after.status == 200)
        #expect(after.body.contains("#EXT-X-PART") && !after.body.contains("#EXT-X-STREAM-INF"),
                "the legit media playlist URL serves something else: \(after.body)")
        #expect(!h.server.hub.paths.contains("live/legit/source"))
    }
}
