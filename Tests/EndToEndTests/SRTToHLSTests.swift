import Foundation
import Testing
import TestSupport

/// A host on a weak link pushes SRT; viewers get the same LL-HLS ladder as from RTMP.
@Suite(.serialized) struct SRTToHLSTests {
    @Test func srtPushBecomesTheLadderAndPlaysInFFprobe() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let push = try h.srtPush(path: "live/factory")
        defer { push.kill() }
        var master = ""
        for _ in 0..<60 where variantCount(master) < 3 {
            try await Task.sleep(for: .milliseconds(500))
            master = await h.get("live/factory/index.m3u8").body
        }
        #expect(variantCount(master) == 3, "multivariant: \(master)")
        #expect(master.contains("RESOLUTION=640x360") && master.contains("RESOLUTION=426x240"), "\(master)")
        // ffprobe is a plain-HLS client: it needs complete segments, not just parts.
        var media = ""
        for _ in 0..<60 where media.components(separatedBy: "#EXTINF").count < 3 {
            try await Task.sleep(for: .milliseconds(500))
            media = await h.get("live/factory/240p/index.m3u8").body
        }
        let probe = try ExternalProcess("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height",
                                                    "-of", "csv=p=0", h.url("live/factory/240p/index.m3u8")])
        #expect(await probe.waitForExit(seconds: 60) == 0, "\(probe.errors)")
        #expect(probe.output.contains("h264,426,240"), "\(probe.output)")
        #expect(probe.output.contains("aac"), "\(probe.output)")
    }
}
