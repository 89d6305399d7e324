import Foundation
import Ingest
import MediaCore
import Testing

/// Real clients on loopback. Each test binds port 0, bounds every wait, and stops its processes
/// (ExternalProcess kills on deinit too, so a thrown error cannot leak one).
@Suite(.serialized) struct RTMPInteropTests {
    typealias S = IngestTestSupport

    @Test func ffmpegPublishesAndFFprobePlaysBothTracks() async throws {
        try await S.withServer { server, port in
            let recorder = HubRecorder(server.hub)
            let ffmpeg = try S.ffmpegPublish(port: port, path: "live/x", fast: false)
            defer { ffmpeg.stop() }
            let flowing = await S.eventually { recorder.unitCount("live/x", .video) >= 30 && recorder.unitCount("live/x", .audio) >= 30 }
            #expect(flowing, "ffmpeg: \(ffmpeg.errors)")
            let tracks = recorder.record("live/x").tracks
            #expect(tracks.map(\.codec) == [.h264, .aac])
            #expect(tracks.first?.width == 640 && tracks.first?.height == 360)
            #expect(tracks.last?.sampleRate == 44100 && tracks.last?.channels == 1)
            let units = recorder.record("live/x").units.filter { $0.track == .video }
            #expect(units.first?.isKeyframe == true)
            #expect(zip(units, units.dropFirst()).allSatisfy { $0.dts < $1.dts })
            #expect(units.contains { $0.pts > $0.dts }) // B-frames: composition time carried

            let streams = try await S.ffprobe(port: port, path: "live/x")
            let video = streams.first { $0["codec_name"] as? String == "h264" }
            let audio = streams.first { $0["codec_name"] as? String == "aac" }
            #expect(video?["width"] as? Int == 640 && video?["height"] as? Int == 360)
            #expect(video?["profile"] as? String == "High")
            #expect(audio?["sample_rate"] as? String == "44100" && audio?["channels"] as? Int == 1)
        }
    }

    @Test func gstreamerRtmp2sinkPublishes() async throws {
        let media = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-gst-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(at: media) }
        let make = try ExternalProcess("ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=f=440",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac", "-t", "3", media.path,
        ])
        #expect(await make.waitForExit(seconds: 60) == 0, "ffmpeg: \(make.errors)")
        try await S.withServer { server, port in
            let recorder = HubRecorder(server.hub)
            // GStreamer 1.22 has no H.264 encoder here: it remuxes ffmpeg's file, paced by rtmp2sink's clock sync.
            let gst = try ExternalProcess("gst-launch-1.0", [
                "-q", "filesrc", "location=\(media.path)", "!", "qtdemux", "name=d",
                "d.video_0", "!", "queue", "!", "h264parse", "!", "m.",
                "d.audio_0", "!", "queue", "!", "aacparse", "!", "m.",
                "flvmux", "name=m", "streamable=true", "!", "rtmp2sink", "location=rtmp://127.0.0.1:\(port)/live/gst",
            ])
            defer { gst.stop() }
            #expect(await gst.waitForExit(seconds: 30) == 0, "gst: \(gst.errors)")
            let done = await S.eventually { recorder.record("live/gst").closed }
            #expect(done)
            let record = recorder.record("live/gst")
            #expect(record.tracks.map(\.codec) == [.h264, .aac])
            #expect(record.tracks.first?.width == 320 && record.tracks.first?.height == 240)
            #expect(record.units.filter { $0.track == .video }.count == 90)
            #expect(server.hub.stream("live/gst") == nil) // the publisher left: the path is free
        }
    }

    @Test func twoPublishersAtOnce() async throws {
        try await S.withServer { server, port in
            let recorder = HubRecorder(server.hub)
            let a = try S.ffmpegPublish(port: port, path: "live/a", size: "320x180")
            defer { a.stop() }
            let b = try S.ffmpegPublish(port: port, path: "other/app/b", size: "320x180")
            defer { b.stop() }
            let both = await S.eventually {
                recorder.unitCount("live/a", .video) >= 30 && recorder.unitCount("other/app/b", .video) >= 30
            }
            #expect(both, "a: \(a.errors) b: \(b.errors)")
            #expect(server.hub.paths == ["live/a", "other/app/b"])
        }
    }

    @Test func publisherKilledAndRepublishedWithinASecondKeepsThePathWorking() async throws {
        try await S.withServer { server, port in
            let recorder = HubRecorder(server.hub)
            let first = try S.ffmpegPublish(port: port, path: "live/t", size: "320x180")
            defer { first.stop() }
            let started = await S.eventually { recorder.unitCount("live/t", .video) >= 15 }
            #expect(started, "ffmpeg: \(first.errors)")
            // A player that is watching when the publisher dies.
            let player = try ExternalProcess("ffmpeg", [
                "-hide_banner", "-loglevel", "error", "-nostdin", "-i", "rtmp://127.0.0.1:\(port)/live/t",
                "-c", "copy", "-t", "6", "-f", "null", "-", "-progress", "pipe:1",
            ])
            defer { player.stop() }
            #expect(await S.eventually { server.hub.stream("live/t")?.readerCount == 2 })
            first.kill()
            let second = try S.ffmpegPublish(port: port, path: "live/t", size: "320x180")
            defer { second.stop() }
            let before = recorder.unitCount("live/t", .video)
            let resumed = await S.eventually { recorder.unitCount("live/t", .video) >= before + 30 }
            #expect(resumed, "second ffmpeg: \(second.errors)")
            let streams = try await S.ffprobe(port: port, path: "live/t")
            #expect(streams.contains { $0["codec_name"] as? String == "h264" && $0["width"] as? Int == 320 })
            // The player got its 6 s of video: most of it came from the second publisher.
            #expect(await player.waitForExit(seconds: 30) == 0, "player: \(player.errors)")
            let frames = player.output.split(separator: "\n").last { $0.hasPrefix("frame=") }.flatMap { Int($0.dropFirst(6)) } ?? 0
            #expect(frames >= 150, "player saw \(frames) frames")
        }
    }
}
