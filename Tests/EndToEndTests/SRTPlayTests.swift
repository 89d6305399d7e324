import Access
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

    @Test func srtLiveTransmitReadsMPEGTS() async throws {
        let h = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/slt")
        defer { push.kill() }
        #expect(await eventually(within: 30) { h.server.hub.stream("live/slt")?.hasPublisher == true })
        // srt-live-transmit writes what it reads to stdout (`file://con`), which the test keeps.
        let reader = try ExternalProcess("srt-live-transmit", [
            "-q", "srt://127.0.0.1:\(h.server.srtPort!)?streamid=#!::r=live/slt,m=request", "file://con",
        ])
        let out = reader.outputURL
        #expect(await eventually(within: 20) { ((try? Data(contentsOf: out))?.count ?? 0) > 188 * 500 })
        reader.kill()
        let bytes = try Data(contentsOf: out)
        // MPEG-TS: a sync byte every 188 bytes from the first packet on.
        let packets = bytes.count / 188
        #expect(packets > 500 && (0..<packets).allSatisfy { bytes[$0 * 188] == 0x47 }, "\(bytes.count) bytes")
    }

    @Test func signedPlayNeedsTheStreamsTokenOverSRTToo() async throws {
        let secret = "srt-play-secret"
        let h = try await ServerHarness.start(ladder: "240p:250k") { $0.file.auth.play.signingSecret = secret }
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/paid")
        defer { push.kill() }
        #expect(await eventually(within: 30) { h.server.hub.stream("live/paid/240p") != nil })
        let port = h.server.srtPort!
        func probe(_ streamID: String) async throws -> (Int32, String) {
            let p = try ExternalProcess("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                                                    "srt://127.0.0.1:\(port)?streamid=\(streamID)"])
            return (await p.waitForExit(seconds: 30), p.output)
        }
        // No token, a forged one: refused in the handshake.
        #expect(try await probe("#!::r=live/paid,m=request").0 != 0)
        #expect(try await probe("#!::r=live/paid,m=request,exp=4102444800,t=\(String(repeating: "ab", count: 32))").0 != 0)
        // The stream's play token opens the source and its rungs.
        let query = AccessToken.query(secret: secret, action: .play, path: "live/paid", ttl: 600)
        let fields = query.replacingOccurrences(of: "&", with: ",")
        for resource in ["live/paid", "live/paid/240p"] {
            let (status, output) = try await probe("#!::r=\(resource),m=request,\(fields)")
            #expect(status == 0 && output.contains("h264"), "\(resource): \(output)")
        }
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
