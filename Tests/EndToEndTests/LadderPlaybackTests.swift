import Foundation
import Testing
import TestSupport

/// The whole product path with real clients: ffmpeg pushes RTMP (or SRT), Sluice transcodes a
/// ladder, packages LL-HLS and serves it; hls.js in headless Chromium plays it and switches.
@Suite(.serialized) struct LadderPlaybackTests {
    @Test(.enabled(if: Player.isAvailable, "needs Debian chromium"))
    func hlsJsPlaysTheLadderFromAnRTMPPushAndSwitchesRenditions() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/e2e")
        defer { push.kill() }
        // source + 360p + 240p, each with a part out.
        var master = ""
        for _ in 0..<60 where variantCount(master) < 3 {
            master = await h.get("live/e2e/index.m3u8").body
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(variantCount(master) == 3, "multivariant: \(master)")

        let report = try await Player.play(h.url("live/e2e/index.m3u8"), seconds: 14, switchAt: 6)
        print("hls.js e2e: \(report.summary)")
        #expect(report.fatal == nil)
        #expect(report.lowLatencyMode == true)
        #expect(report.levels.count == 3)
        #expect(Set(report.levelsSwitched).count >= 2, "hls.js played one rendition only")
        #expect(report.partsLoaded > 10, "hls.js did not load LL-HLS parts")
        #expect(report.currentTime > 5)
        #expect((report.decodedFrames ?? 0) > 100)
    }
}
