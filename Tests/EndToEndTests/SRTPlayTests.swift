import Foundation
import Testing
import TestSupport

/// SRT readers (`m=request`): the source or a rendition as MPEG-TS, read by a real ffmpeg; a
/// reader never touches the show, and a path nobody publishes is refused.
@Suite(.serialized) struct SRTPlayTests {
    @Test func ffmpegReadsTheSourceAndARenditionOverSRT() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/srtplay")
        defer { push.kill() }
        #expect(await eventually(within: 30) { h.server.hub.stream("live/srtplay/240p") != nil }, "no 240p rendition")
        let port = h.server.srtPort!

        for (resource, size) in [("live/srtplay", "640,360"), ("live/srtplay/240p", "426,240")] {
            // Decodes 2 s of what Sluice sends: video of the right size, and the AAC track.
            let reader = try ExternalProcess("ffprobe", [
                "-v", "error", "-read_intervals", "%+2", "-count_frames", "-select_streams", "v:0",
                "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0",
                "srt://127.0.0.1:\(port)?streamid=#!::r=\(resource),m=request",
            ])
            #expect(await reader.waitForExit(seconds: 30) == 0, "\(resource): \(reader.errors)")
            // The stream's line (ffprobe prints it once per program and once alone).
            let line = reader.output.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
            let fields = line.split(separator: ",")
            #expect(fields.count == 4 && fields[0] == "h264" && "\(fields[1]),\(fields[2])" == size, "\(resource): \(reader.output)")
            #expect((fields.last.flatMap { Int($0) } ?? 0) > 0, "\(resource): no frame decoded: \(reader.output)")
        }
        // The readers came and went; the publisher is still the one publishing.
        #expect(h.server.hub.stream("live/srtplay")?.hasPublisher == true)
        #expect(push.isRunning)
    }

    @Test func aPathNobodyPublishesIsRefused() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let reader = try ExternalProcess("ffmpeg", [
            "-v", "error", "-i", "srt://127.0.0.1:\(h.server.srtPort!)?streamid=#!::r=live/nobody,m=request", "-f", "null", "-",
        ])
        #expect(await reader.waitForExit(seconds: 30) != 0)
        #expect(h.server.hub.stream("live/nobody") == nil, "a reader must not create a stream")
    }
}
