import Foundation
import Testing
import TestSupport

/// Glass-to-glass in a real player: the built `sluice push` draws the pixel clock, the server
/// transcodes a ladder, hls.js in headless Chromium plays /player/latency (as Sluice serves it),
/// which reads the clock from the frames it shows and reports a latency for each.
@Suite(.serialized) struct GlassToGlassPlayerTests {
    struct Report: Decodable {
        var g2gMs: [Double]
        var framesRead: Int
        var framesShown: Int
        var renditions: [String: Int]
        var errors: [String]
        var fatal: String?
        var hlsVersion: String?
        var reader: String?
    }

    @Test(.enabled(if: Player.isAvailable && FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs chromium and the built sluice"))
    func hlsjsPlaybackShowsTheClockAndAFiniteLatency() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let push = try ExternalProcess(sluiceBinary, ["push", "rtmp://127.0.0.1:\(h.server.rtmpPort ?? 0)/live/g2g", "--size", "640x360",
                                                      "--fps", "30", "--kbps", "800", "--duration", "60"])
        defer { push.kill() }
        var master = ""
        for _ in 0..<60 where !master.contains("NAME=\"240p\"") {
            master = await h.get("live/g2g/index.m3u8").body
            try await Task.sleep(for: .milliseconds(500))
        }
        try #require(master.contains("NAME=\"240p\""), "multivariant: \(master) \(push.errors)")

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let player = try ExternalProcess("python3", [script.appendingPathComponent("Tools/players/latency-play.py").path,
                                                     "--server", h.url(""), "--src", h.url("live/g2g/index.m3u8"),
                                                     "--mode", "hlsjs", "--seconds", "8",
                                                     "--cache", script.appendingPathComponent(".build/players").path])
        defer { player.kill() }
        let status = await player.waitForExit(seconds: 200)
        try #require(status == 0, "player: \(player.output) \(player.errors)")
        let report = try JSONDecoder().decode(Report.self, from: Data(player.output.utf8))
        print("glass-to-glass in hls.js \(report.hlsVersion ?? "?"): \(report.framesRead) of \(report.framesShown) frames read, "
              + "renditions \(report.renditions), median \(report.g2gMs.sorted().dropFirst(report.g2gMs.count / 2).first ?? .nan) ms")
        #expect(report.fatal == nil, "\(report.errors)")
        #expect(report.framesRead > 0)
        #expect(!report.g2gMs.isEmpty && report.g2gMs.allSatisfy { $0.isFinite && $0 > 0 }, "\(report.g2gMs.prefix(10))")
        // Chromium gives the decoded picture to VideoFrame: the page reads luma, no canvas.
        #expect(report.reader == "luma")
    }

    /// The same reader on a browser publisher: /player/clock draws the clock into a canvas and
    /// publishes it over WHIP; the ladder transcodes it; /player/latency in the same Chromium plays
    /// the rendition with hls.js (Tools/players/whip-latency-play.py, `bench latency`'s whip-hlsjs).
    @Test(.enabled(if: Player.isAvailable, "needs chromium"))
    func whipClockThroughLLHLSShowsAFiniteLatency() async throws {
        let h = try await ServerHarness.start(ladder: "360p:600k,240p:250k") { $0.file.webrtc.port = 0 }
        defer { Task { await h.stop() } }
        struct Publisher: Decodable { var framesEncoded: Int; var sentHeight: Int?; var fatal: String? }
        struct WHIPReport: Decodable {
            var g2gMs: [Double]
            var framesRead: Int
            var framesShown: Int
            var errors: [String]
            var fatal: String?
            var publisher: Publisher
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let player = try ExternalProcess("python3", [script.appendingPathComponent("Tools/players/whip-latency-play.py").path,
                                                     "--server", h.url(""), "--dst", "/whip/live/clock",
                                                     "--src", h.url("live/clock/360p/index.m3u8"), "--size", "640x360",
                                                     "--seconds", "8", "--ready-timeout", "60",
                                                     "--cache", script.appendingPathComponent(".build/players").path])
        defer { player.kill() }
        let status = await player.waitForExit(seconds: 200)
        try #require(status == 0, "player: \(player.output) \(player.errors)")
        let report = try JSONDecoder().decode(WHIPReport.self, from: Data(player.output.utf8))
        print("WHIP clock → LL-HLS → hls.js: \(report.framesRead) of \(report.framesShown) frames read, publisher \(report.publisher), "
              + "median \(report.g2gMs.sorted().dropFirst(report.g2gMs.count / 2).first ?? .nan) ms")
        #expect(report.fatal == nil && report.publisher.fatal == nil, "\(report.errors)")
        #expect(report.publisher.framesEncoded > 0)
        #expect(report.framesRead > 0)
        #expect(!report.g2gMs.isEmpty && report.g2gMs.allSatisfy { $0.isFinite && $0 > 0 }, "\(report.g2gMs.prefix(10))")
    }
}
