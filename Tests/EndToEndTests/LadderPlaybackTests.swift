import Foundation
import Testing
import TestSupport

/// The whole product path with real clients: ffmpeg pushes RTMP (or SRT), Sluice transcodes a
/// ladder, packages LL-HLS and serves it; hls.js in headless Chromium plays it and switches.
@Suite(.serialized) struct LadderPlaybackTests {
    struct PlayerReport: Decodable {
        struct Level: Decodable { var width: Int; var height: Int; var bitrate: Int }
        struct Latency: Decodable { var min: Double; var p50: Double; var max: Double }
        var errors: [String]
        var fatal: String?
        var levels: [Level]
        var levelsSwitched: [Int]
        var partsLoaded: Int
        var playlistLoads: Int
        var currentTime: Double
        var decodedFrames: Int?
        var lowLatencyMode: Bool?
        var latency: Latency?
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "needs Debian chromium"))
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

        let player = try ExternalProcess("python3", [
            ServerHarness.repoRoot.appendingPathComponent("Tools/players/hlsjs-play.py").path,
            "--url", h.url("live/e2e/index.m3u8"), "--seconds", "14", "--switch-at", "6",
            "--cache", ServerHarness.repoRoot.appendingPathComponent(".build/players").path,
        ])
        #expect(await player.waitForExit(seconds: 180) == 0, "player: \(player.errors)")
        let report = try JSONDecoder().decode(PlayerReport.self, from: Data(player.output.utf8))
        print("hls.js e2e: levels \(report.levels.map { "\($0.height)p@\($0.bitrate / 1000)k" }), switched \(report.levelsSwitched), "
              + "parts \(report.partsLoaded), latency \(report.latency.map { "p50 \($0.p50) s" } ?? "n/a"), errors \(report.errors)")
        #expect(report.fatal == nil)
        #expect(report.lowLatencyMode == true)
        #expect(report.levels.count == 3)
        #expect(Set(report.levelsSwitched).count >= 2, "hls.js played one rendition only")
        #expect(report.partsLoaded > 10, "hls.js did not load LL-HLS parts")
        #expect(report.currentTime > 5)
        #expect((report.decodedFrames ?? 0) > 100)
    }
}
