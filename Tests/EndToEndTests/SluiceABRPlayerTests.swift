import Foundation
import Testing
import TestSupport

/// Sluice's hls.js ABR controller in a real player: ffmpeg pushes RTMP, Sluice transcodes a
/// ladder, `sluice shape` narrows the link to the player, hls.js in headless Chromium runs the
/// controller as the origin serves it (/player/sluice-abr.js) and must switch down.
@Suite(.serialized) struct SluiceABRPlayerTests {
    @Test(.enabled(if: Player.isAvailable && FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs chromium and the built sluice"))
    func sluiceControllerSwitchesDownWhenTheLinkNarrows() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/abr")
        defer { push.kill() }
        var master = ""
        for _ in 0..<60 where variantCount(master) < 3 {
            master = await h.get("live/abr/index.m3u8").body
            try await Task.sleep(for: .milliseconds(500))
        }
        try #require(variantCount(master) == 3, "multivariant: \(master)")

        // 8 Mbit/s, then 0.5 Mbit/s: below every rendition but the lowest.
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-narrowing-\(UUID().uuidString).trace")
        try Data("0 8\n8 0.5\n60 0.5\n".utf8).write(to: trace)
        defer { try? FileManager.default.removeItem(at: trace) }
        let shape = try ExternalProcess(sluiceBinary, ["shape", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:\(h.httpPort)",
                                                       "--trace", trace.path, "--direction", "down", "--duration", "90"])
        defer { shape.kill() }
        var port: Int?
        _ = await eventually(within: 10) {
            port = Self.listeningPort(shape.output)
            return port != nil
        }
        let shaped = try #require(port, "sluice shape printed no port: \(shape.output) \(shape.errors)")

        let report = try await Player.play("http://127.0.0.1:\(shaped)/live/abr/index.m3u8", seconds: 20,
                                           abr: h.url("player/sluice-abr.js"))
        print("hls.js with Sluice's controller on a narrowing link: \(report.summary)")
        #expect(report.abr == "controller")
        #expect(report.fatal == nil)
        #expect(report.levels.count == 3)
        #expect((report.downSwitches ?? 0) >= 1, "no down-switch: \(report.summary)")
        #expect(report.partsLoaded > 10)
    }

    /// "sluice shape: listening on 127.0.0.1:41234 (tcp), …" → 41234.
    static func listeningPort(_ output: String) -> Int? {
        guard let range = output.range(of: "listening on 127.0.0.1:") else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }
}
