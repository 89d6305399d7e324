import Foundation
import Testing
import TestSupport

/// Issue 12 item 6: the dashboard in headless Chromium (Tools/dashboard-check.py drives it
/// through chromedriver): without the token it asks for one; with the link `sluice serve`
/// prints it lists the stream a real ffmpeg publishes, its hls.js player plays, and the viewer
/// count moves when an RTMP player joins. One Chromium for the suite.
@Suite(.serialized, .enabled(if: Player.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"),
                             "needs chromium and chromedriver"))
struct DashboardTests {
    struct Report: Decodable {
        struct Played: Decodable { var from: Double?; var to: Double? }
        struct Viewers: Decodable { var before: Int?; var after: Int? }
        var ok: Bool
        var errors: [String]
        var tokenPrompt: Bool?
        var listed: Bool?
        var hlsjs: Bool?
        var played: Played?
        var latencySeconds: Double?
        var viewers: Viewers?
    }

    @Test func thePageListsTheStreamPlaysItAndCountsAViewer() async throws {
        let root = OpenAPIRouteTests.repoRoot
        let hlsjs = root.appendingPathComponent(".build/players/hls.js").path
        let h = try await ServerHarness.start(ladder: "240p:250k") { $0.file.dashboard.hlsjsPath = hlsjs }
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/dash")
        defer { push.kill() }
        #expect(await eventuallyAsync(within: 30) { await h.get("live/dash/index.m3u8").status == 200 })

        let check = try ExternalProcess("python3", [
            root.appendingPathComponent("Tools/dashboard-check.py").path, "--url", h.url("").dropLast().description,
            "--token", h.server.apiToken, "--stream", "live/dash", "--rtmp", "rtmp://127.0.0.1:\(h.server.rtmpPort!)/live/dash",
            "--cache", root.appendingPathComponent(".build/players").path,
        ])
        let status = await check.waitForExit(seconds: 240) // pip download on first use, Chromium, five bounded steps
        let report = try JSONDecoder().decode(Report.self, from: Data(check.output.utf8))
        #expect(status == 0, "\(check.output) \(check.errors)")
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.tokenPrompt == true, "without the token the page must ask for it")
        #expect(report.listed == true && report.hlsjs == true)
        #expect((report.played?.to ?? 0) > (report.played?.from ?? 0), "the player did not advance")
        #expect(report.latencySeconds != nil)
        #expect((report.viewers?.after ?? 0) > (report.viewers?.before ?? 0), "the viewer count did not move")
    }
}
