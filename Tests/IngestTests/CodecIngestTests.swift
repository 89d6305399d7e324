import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MediaCore
import NIOCore
import RTMP
import Server
import Testing
import TestSupport

/// Findings 4 and 9 through real sockets, on a whole server (RTMP, SRT, LL-HLS; source only):
/// a crafted SPS ends only its own publish, HEVC over SRT is served, and codecs HLS players
/// cannot play are refused or dropped with a line that names them.
@Suite(.serialized) struct CodecIngestTests {
    struct Running {
        let server: SluiceServer
        let log: LogCapture
        var rtmpPort: Int { server.rtmpPort ?? 0 }
        var srtPort: Int { server.srtPort ?? 0 }

        func get(_ path: String) async -> (status: Int?, body: String) {
            guard let port = server.httpPort, let url = URL(string: "http://127.0.0.1:\(port)/\(path)") else { return (nil, "") }
            do {
                let (data, response) = try await URLSession.shared.data(from: url)
                return ((response as? HTTPURLResponse)?.statusCode, String(decoding: data, as: UTF8.self))
            } catch {
                return (nil, "\(error)")
            }
        }

        /// Polls a playlist until `condition` holds on its body; bounded.
        func playlist(_ path: String, seconds: Double = 30, until condition: (String) -> Bool) async -> String {
            let deadline = Date().addingTimeInterval(seconds)
            var body = ""
            while Date() < deadline {
                let r = await get(path)
                body = r.body
                if r.status == 200, condition(body) { return body }
                try? await Task.sleep(for: .milliseconds(200))
            }
            return body
        }
    }

    static func withServer(_ body: (Running) async throws -> Void) async throws {
        let log = LogCapture()
        let config = SluiceServerConfiguration(host: "127.0.0.1", rtmpPort: 0, srtPort: 0, httpPort: 0, transcode: nil)
        let server = SluiceServer(configuration: config, logger: log.logger)
        try await server.start()
        let running = Task { try await server.run() }
        do {
            guard await eventually(within: 20, { server.httpPort != nil }) else { throw TestFailure("no HTTP port") }
            try await body(Running(server: server, log: log))
        } catch {
            try? await server.shutdown()
            _ = try? await running.value
            throw error
        }
        try await server.shutdown()
        try await running.value
    }

    static func ffmpeg(_ codecs: [String], _ output: [String], seconds: Int = 30) throws -> ExternalProcess {
        try ExternalProcess("ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "\(seconds)", "-g", "25", "-pix_fmt", "yuv420p",
        ] + codecs + output)
    }

    static func rtmp(_ r: Running, _ path: String) -> [String] { ["-f", "flv", "rtmp://127.0.0.1:\(r.rtmpPort)/\(path)"] }
    static func srt(_ r: Running, _ path: String) -> [String] {
        ["-f", "mpegts", "srt://127.0.0.1:\(r.srtPort)?streamid=\(path)&latency=120000&pkt_size=1316"]
    }
    static let h264AAC = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-c:a", "aac"]

    static func hex(_ s: String) -> ByteBuffer {
        ByteBuffer(bytes: stride(from: 0, to: s.count, by: 2).map { i in
            UInt8(s[s.index(s.startIndex, offsetBy: i)..<s.index(s.startIndex, offsetBy: i + 2)], radix: 16)!
        })
    }

    /// pic_width_in_mbs_minus1 = 2^27 − 1, and an HEVC SPS with pic_width_in_luma_samples = 2^31
    /// (Tests/BitstreamTests builds both field by field).
    static let craftedAvcC = hex("0142c01effe100106742c01eda00000300080000030005b901000468ce3c80")
    static let craftedHvcC = hex("0101600000009000000000003ff000fcfdf8f800000f01a10001002042010101600000030090000003000003003fa0000003001000000300200b45c0")

    /// Finding 9: before the fix the keyframe reached `Muxer.configure` with a 2^31 width and the
    /// whole process trapped. Now the sequence header is refused and logged, and the other
    /// publisher on the server keeps serving.
    @Test(arguments: [CodecID.h264, .hevc])
    func craftedSPSEndsOnlyItsOwnPublish(codec: CodecID) async throws {
        try await Self.withServer { r in
            let legit = try Self.ffmpeg(Self.h264AAC, Self.rtmp(r, "live/legit"))
            defer { legit.kill() }
            let before = await r.playlist("live/legit/source/index.m3u8") { $0.contains("#EXTINF") }
            #expect(before.contains("#EXTINF"), "the legit stream never served: \(before)")

            let attacker = try await RawRTMPClient.connect(port: r.rtmpPort)
            let id = try await attacker.publish(name: "attack")
            let config = codec == .h264 ? Self.craftedAvcC : Self.craftedHvcC
            try await attacker.send([
                RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0,
                            payload: FLVVideoPacket.sequenceStart(codec, config: config).serialize()),
                RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0,
                            payload: FLVVideoPacket.frame(codec, keyframe: true, compositionTime: 0,
                                                          data: ByteBuffer(bytes: [0, 0, 0, 2, codec == .h264 ? 0x65 : 0x26, 0x88])).serialize()),
            ])
            #expect(await attacker.waitUntilClosed(), "the crafted publish was not ended")
            let field = codec == .h264 ? "pic_width_in_mbs_minus1 = 134217727" : "pic_width_in_luma_samples = 2147483648"
            #expect(await eventually(within: 10) { !r.log.matching(field).isEmpty }, "no log line names the field: \(r.log.all)")
            #expect(r.server.hub.stream("live/attack")?.tracks.isEmpty ?? true)

            // The legit stream goes on: more units, and its playlist still answers with new parts.
            let units = r.server.hub.stream("live/legit")?.unitsIn ?? 0
            #expect(await eventually(within: 10) { (r.server.hub.stream("live/legit")?.unitsIn ?? 0) > units + 50 })
            let after = await r.playlist("live/legit/source/index.m3u8") { $0 != before }
            #expect(after != before && after.contains("#EXTINF"))
        }
    }

    /// Finding 4 over RTMP: MP3 audio (hls.js cannot play it from fMP4) and Sorenson video are
    /// refused at their first message, with the codec named in the log.
    @Test(arguments: [
        (["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libmp3lame"], "unsupported audio codec MP3"),
        (["-c:v", "flv", "-c:a", "aac"], "unsupported video codec Sorenson H.263"),
    ])
    func rtmpCodecsPlayersCannotPlayAreRefusedByName(codecs: [String], logged: String) async throws {
        try await Self.withServer { r in
            let publisher = try Self.ffmpeg(codecs, Self.rtmp(r, "live/refused"), seconds: 20)
            defer { publisher.kill() }
            #expect(await eventually(within: 20) { !r.log.matching(logged).isEmpty }, "\(r.log.all)")
            #expect(await publisher.waitForExit(seconds: 20) != 0, "the publisher was not disconnected")
            // ffmpeg may send the other track's sequence header first; the refused one never becomes a track.
            let refusedKind: TrackKind = logged.contains("audio") ? .audio : .video
            #expect(r.server.hub.stream("live/refused")?.tracks.contains { $0.kind == refusedKind } != true)
        }
    }

    /// Finding 4 over SRT: HEVC in MPEG-TS used to be served audio-only. Now the source
    /// rendition carries it, and a plain HLS client reads HEVC video from it.
    @Test func hevcOverSRTIsServedWithVideo() async throws {
        try await Self.withServer { r in
            let publisher = try Self.ffmpeg(["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
                                             "-c:a", "aac"], Self.srt(r, "live/hevc"))
            defer { publisher.kill() }
            let media = await r.playlist("live/hevc/source/index.m3u8") { $0.components(separatedBy: "#EXTINF").count >= 3 }
            #expect(media.components(separatedBy: "#EXTINF").count >= 3, "\(media) \(r.log.all)")
            let master = await r.get("live/hevc/index.m3u8").body
            #expect(master.contains("hvc1"), "\(master)")
            let probe = try ExternalProcess("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height",
                                                        "-of", "csv=p=0", "http://127.0.0.1:\(r.server.httpPort!)/live/hevc/source/index.m3u8"])
            #expect(await probe.waitForExit(seconds: 60) == 0, "\(probe.errors)")
            #expect(probe.output.contains("hevc,640,360"), "\(probe.output)")
            #expect(r.log.matching("not supported").isEmpty, "\(r.log.all)")
        }
    }

    /// Finding 4 over SRT: MPEG-2 video with MP2 audio was accepted and then served nothing.
    @Test func mpeg2VideoOverSRTIsRefusedByName() async throws {
        try await Self.withServer { r in
            let publisher = try Self.ffmpeg(["-c:v", "mpeg2video", "-c:a", "mp2"], Self.srt(r, "live/mpeg2"), seconds: 20)
            defer { publisher.kill() }
            #expect(await eventually(within: 20) {
                !r.log.matching("SRT publish refused: video codec mpeg2video is not supported").isEmpty
            }, "\(r.log.all)")
            #expect(await r.get("live/mpeg2/index.m3u8").status == 404)
        }
    }

    /// Finding 4 over SRT: H.264 with MP2 audio dropped the audio silently. Now the audio is
    /// transcoded to AAC (one line says so) and the source rendition carries both.
    @Test func mp2AudioBesideH264OverSRTIsTranscodedToAAC() async throws {
        try await Self.withServer { r in
            let publisher = try Self.ffmpeg(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-c:a", "mp2"],
                                            Self.srt(r, "live/mp2"))
            defer { publisher.kill() }
            let media = await r.playlist("live/mp2/source/index.m3u8") { $0.components(separatedBy: "#EXTINF").count >= 3 }
            #expect(media.components(separatedBy: "#EXTINF").count >= 3, "\(media) \(r.log.all)")
            let tracks = r.server.hub.stream("live/mp2")?.tracks ?? []
            #expect(tracks.map(\.codec) == [.h264, .aac])
            #expect(tracks.last?.sampleRate == 48000)
            #expect(r.log.matching("SRT audio codec mp2 is transcoded to AAC").count == 1, "\(r.log.all)")
            #expect(r.log.matching("not supported").isEmpty && r.log.matching("transcode:").isEmpty, "\(r.log.all)")
            let probe = try ExternalProcess("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate",
                                                        "-of", "csv=p=0", "http://127.0.0.1:\(r.server.httpPort!)/live/mp2/source/index.m3u8"])
            #expect(await probe.waitForExit(seconds: 60) == 0, "\(probe.errors)")
            #expect(probe.output.contains("aac,48000"), "\(probe.output)")
        }
    }
}
