import FFmpegBridge
import Foundation
import Testing
import TestSupport

/// Issue 9 finding 6: clean publishes logged libsrt's "srt_accept: no pending connection" and
/// FFmpeg's "Packet duration: -1 / pts has no value" (44.1 kHz AAC from MPEG-TS: dts and
/// durations rescaled apart). A clean publish now logs nothing at warning or above.
@Suite(.serialized) struct CleanPublishLogTests {
    @Test func cleanRTMPAndSRTPublishesLogNoWarning() async throws {
        try await CodecIngestTests.withServer { r in
            FFmpegLog.install(logger: r.log.logger, level: .warning)
            defer { FFmpegLog.uninstall() }
            let srt = try Self.ffmpeg(CodecIngestTests.srt(r, "live/clean-srt"))
            let rtmp = try Self.ffmpeg(CodecIngestTests.rtmp(r, "live/clean-rtmp"))
            #expect(await srt.waitForExit(seconds: 30) == 0, "\(srt.errors)")
            #expect(await rtmp.waitForExit(seconds: 30) == 0, "\(rtmp.errors)")
            for path in ["live/clean-srt", "live/clean-rtmp"] {
                let playlist = await r.playlist("\(path)/source/index.m3u8") { $0.contains("#EXTINF") }
                #expect(playlist.contains("#EXTINF"), "\(path): \(playlist)")
            }
            let loud = r.log.all.filter { $0.hasPrefix("warning") || $0.hasPrefix("error") || $0.hasPrefix("critical") }
            #expect(loud.isEmpty, "\(loud)")
        }
    }

    /// The plain ffmpeg test source; its tone is 44.1 kHz, and 1024 samples are not a whole
    /// number of 90 kHz ticks.
    static func ffmpeg(_ output: [String]) throws -> ExternalProcess {
        try ExternalProcess("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                                       "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine",
                                       "-t", "6", "-g", "50", "-pix_fmt", "yuv420p"] + CodecIngestTests.h264AAC + output)
    }
}
