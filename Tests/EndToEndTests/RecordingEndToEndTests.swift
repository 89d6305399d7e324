import Config
import Foundation
import Server
import Testing
import TestSupport

/// Recording through the real path: ffmpeg publishes over RTMP, the server records, ffprobe
/// reads the replay over HTTP; `sluice serve` killed with SIGKILL mid-show and restarted; a
/// file-size limit (RLIMIT_FSIZE via prlimit) as a full disk; replay URLs that try to leave the
/// directory.
@Suite(.serialized) struct RecordingEndToEndTests {
    static func temporaryDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-rec-e2e-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func curl(_ args: [String]) -> (status: Int32, out: String) {
        let r = try? run("/usr/bin/curl", ["-s"] + args, timeout: 10)
        return (r?.status ?? -1, r?.out ?? "")
    }

    static func frames(_ url: String) throws -> Int {
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                  "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", url], timeout: 90)
        return Int(probe.out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").first ?? "") ?? -1
    }

    /// 6 s of 25 fps = 150 frames, pushed, recorded on every rendition, replayed by ffprobe over HTTP.
    @Test func aRecordedPushReplaysEveryFrameOnEveryRendition() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await ServerHarness.start(ladder: "240p:250k", endGrace: .seconds(1)) { c in
            c.file.recording.enabled = true
            c.file.recording.directory = dir
        }
        defer { Task { await server.stop() } }
        let push = try server.rtmpPush(path: "live/rec", seconds: 6)
        #expect(await push.waitForExit(seconds: 30) == 0)
        // The stream ends after the grace: ENDLIST on every rendition.
        var list = ""
        #expect(await eventually(within: 30) {
            list = Self.curl(["-H", "Authorization: Bearer \(server.server.apiToken)", server.url("api/v1/recordings")]).out
            return list.contains("\"state\" : \"finished\"")
        }, "\(list)")
        let data = try #require(list.data(using: .utf8))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let recs = try #require(json["recordings"] as? [[String: Any]])
        try #require(recs.count == 1)
        let url = try #require(recs[0]["url"] as? String)
        #expect((recs[0]["renditions"] as? [String])?.sorted() == ["240p", "source"])
        let multivariant = Self.curl(["-D", "-", server.url(String(url.dropFirst()))]).out
        #expect(multivariant.lowercased().contains("content-type: application/vnd.apple.mpegurl"))
        #expect(multivariant.lowercased().contains("access-control-allow-origin: *"))
        #expect(multivariant.contains("source/index.m3u8") && multivariant.contains("240p/index.m3u8"))
        let base = server.url(String(url.dropFirst().dropLast("index.m3u8".count)))
        #expect(try Self.frames(base + "source/index.m3u8") == 150)
        // A rung starts at its encoder's first keyframe once the audio track is known, a few
        // frames in: the recording has what the live rung published, at most one GOP less.
        let rung = try Self.frames(base + "240p/index.m3u8")
        #expect(rung > 150 - 50 && rung <= 150, "240p: \(rung) frames")
        if Player.isAvailable {
            // hls.js in Chromium plays the source's replay to the end: every frame pushed.
            let report = try await Player.play(base + "source/index.m3u8", seconds: 12)
            // hls.js reports a non-fatal bufferStalledError once playback reaches the VOD's end;
            // the page counts no stall while playing.
            #expect(report.fatal == nil && (report.stalls ?? 0) == 0 && report.currentTime > 5.9, "\(report.summary)")
            #expect(report.decodedFrames == 150, "\(report.summary)")
        }
        let segment = Self.curl(["-D", "-", "-o", "/dev/null", base + "source/seg-0.m4s"]).out.lowercased()
        #expect(segment.contains("200") && segment.contains("immutable") && segment.contains("content-type: video/mp4"))

        // Nothing outside the directory, however the path is spelt.
        let secret = dir + "/../secret-\(UUID().uuidString).m3u8"
        try "#EXTM3U\nsecret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let id = String(url.split(separator: "/").dropLast().last ?? "")
        for path in ["recordings/../../../../etc/passwd", "recordings/live/rec/\(id)/source/../../../../../etc/passwd",
                     "recordings/live/rec/\(id)/..%2f..%2f..%2f..%2fetc%2fpasswd", "recordings/%2e%2e/%2e%2e/etc/passwd",
                     "recordings/live/rec/\(id)/source/index.m3u8%00", "recordings/live/rec/\(id)/../../../" + (secret as NSString).lastPathComponent,
                     "recordings/live/rec/\(id)/source/seg-0.m4s/..", "recordings/.%2e/x/20260101T000000Z/index.m3u8"] {
            let answer = Self.curl(["--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", server.url(path)]).out
            #expect(answer == "404" || answer == "400", "\(path) → \(answer)")
        }
    }
}

/// `sluice serve` as a process: killed with SIGKILL while recording, and under a file-size limit.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct RecordingProcessTests {
    struct Serve {
        let process: ExternalProcess
        let rtmp: Int
        let http: Int

        static func start(config: String, prefix: [String] = []) async throws -> Serve {
            let args = ["serve", "--config", config, "--host", "127.0.0.1", "--rtmp-port", "0", "--srt-port", "0", "--http-port", "0"]
            let p = prefix.isEmpty ? try ExternalProcess(sluiceBinary, args) : try ExternalProcess(prefix[0], Array(prefix.dropFirst()) + [sluiceBinary] + args)
            guard await eventually(within: 30, { p.output.contains("HLS:  play http://") }) else {
                p.kill()
                throw ServeError(output: p.output + p.errors)
            }
            return Serve(process: p, rtmp: Self.port(p.output, "rtmp://127.0.0.1:"), http: Self.port(p.output, "play http://127.0.0.1:"))
        }

        static func port(_ text: String, _ prefix: String) -> Int {
            guard let r = text.range(of: prefix) else { return 0 }
            return Int(text[r.upperBound...].prefix { $0.isNumber }) ?? 0
        }

        func url(_ path: String) -> String { "http://127.0.0.1:\(http)/\(path)" }

        func push(_ path: String, seconds: Int, extra: [String] = []) throws -> ExternalProcess {
            try ExternalProcess("ffmpeg", ServerHarness.testPattern(seconds: seconds) + extra + ["-f", "flv", "rtmp://127.0.0.1:\(rtmp)/\(path)"])
        }
    }

    struct ServeError: Error, CustomStringConvertible { var output: String; var description: String { "sluice serve did not start: \(output)" } }

    static func config(_ dir: String, extra: String = "") throws -> String {
        let file = dir + "/sluice.yaml"
        try """
        api:
          token: ""
        transcode:
          enabled: false
        hls:
          endGraceSeconds: 1
        recording:
          enabled: true
          directory: \(dir)/rec
        \(extra)
        """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    static func segments(_ playlist: String) -> [String] {
        playlist.split(separator: "\n").filter { $0.hasPrefix("seg") }.map(String.init)
    }

    @Test func aKilledServerLosesAtMostOneSegmentAndTheNextStartContinues() async throws {
        let dir = RecordingEndToEndTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.config(dir)
        let first = try await Serve.start(config: config)
        let push = try first.push("live/show", seconds: 60)
        defer { push.kill() }
        // Wait for three complete live segments, then note the newest complete one and kill.
        var live = ""
        try #require(await eventually(within: 30) {
            live = RecordingEndToEndTests.curl([first.url("live/show/source/index.m3u8")]).out
            return live.components(separatedBy: "#EXTINF").count > 3
        })
        let lastLive = Self.segments(live).compactMap { Int($0.dropFirst(3).dropLast(4)) }.max() ?? 0
        first.process.kill()
        push.kill()

        let recordings = dir + "/rec/live/show"
        let ids = try FileManager.default.contentsOfDirectory(atPath: recordings).filter { !$0.hasPrefix(".") }
        try #require(ids.count == 1)
        let root = recordings + "/" + ids[0]
        let killed = try String(contentsOfFile: root + "/source/index.m3u8", encoding: .utf8)
        #expect(!killed.contains("#EXT-X-ENDLIST") && killed.contains("#EXT-X-PLAYLIST-TYPE:EVENT"))
        let kept = Self.segments(killed)
        // Every live segment completed before the kill is on disk but at most one (the one being written).
        #expect(kept.count >= lastLive, "live had seg0…seg\(lastLive), the recording kept \(kept.count)")
        for name in kept { #expect(FileManager.default.fileExists(atPath: root + "/source/" + name)) }

        let second = try await Serve.start(config: config)
        defer { second.process.kill() }
        let again = try second.push("live/show", seconds: 60)
        defer { again.kill() }
        var continued = ""
        #expect(await eventually(within: 30) {
            continued = (try? String(contentsOfFile: root + "/source/index.m3u8", encoding: .utf8)) ?? ""
            return Self.segments(continued).count >= kept.count + 2
        })
        #expect(continued.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-1.mp4\""), "\(continued)")
        #expect(Array(Self.segments(continued).prefix(kept.count)) == kept)
        #expect(try FileManager.default.contentsOfDirectory(atPath: recordings).filter { !$0.hasPrefix(".") } == ids)
        // The API stops it: ENDLIST; the replay plays both runs.
        #expect(RecordingEndToEndTests.curl(["-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}",
                                             second.url("api/v1/streams/live/show/recording")]).out == "200")
        #expect(await eventually(within: 10) {
            ((try? String(contentsOfFile: root + "/source/index.m3u8", encoding: .utf8)) ?? "").contains("#EXT-X-ENDLIST")
        })
        let replayed = try RecordingEndToEndTests.frames(second.url("recordings/live/show/\(ids[0])/index.m3u8"))
        #expect(replayed >= 25 * 2 * (kept.count + 2) - 50, "\(replayed) frames")
    }

    @Test func aFullDiskStopsTheRecordingWithAClearErrorAndLiveHLSGoesOn() async throws {
        let dir = RecordingEndToEndTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.config(dir)
        // Files may not grow past 50 kB: the first 2 s segment at 2 Mbit/s does not fit (EFBIG).
        let serve = try await Serve.start(config: config, prefix: ["/usr/bin/prlimit", "--fsize=50000"])
        defer { serve.process.kill() }
        let push = try serve.push("live/full", seconds: 60, extra: ["-b:v", "2M", "-maxrate", "2M", "-bufsize", "1M"])
        defer { push.kill() }
        var listing = ""
        #expect(await eventually(within: 30) {
            listing = RecordingEndToEndTests.curl([serve.url("api/v1/recordings")]).out
            return listing.contains("\"state\" : \"failed\"")
        }, "\(listing)")
        #expect(listing.contains("File too large"), "\(listing)")
        let log = serve.process.output + serve.process.errors
        #expect(log.contains("recording live/full stopped: cannot write") && log.contains("live HLS continues"), "\(log)")
        let metrics = RecordingEndToEndTests.curl([serve.url("metrics")]).out
        #expect(metrics.contains("sluice_recording_failures_total 1"), "\(metrics)")
        // Live HLS goes on: new segments keep coming.
        let before = Self.segments(RecordingEndToEndTests.curl([serve.url("live/full/source/index.m3u8")]).out).last
        #expect(await eventually(within: 20) {
            let now = Self.segments(RecordingEndToEndTests.curl([serve.url("live/full/source/index.m3u8")]).out).last
            return now != nil && now != before
        })
        #expect(serve.process.isRunning)
    }
}

/// `hls.dvrWindowSeconds`: the live playlists list the window, and enough segments are kept
/// for it (bytes stay bounded by `hls.maxRetainedMiB`).
@Suite struct DVRWindowTests {
    @Test func theDVRWindowWidensThePlaylistAndTheSegmentsKept() throws {
        var file = SluiceConfig()
        #expect(try SluiceServerConfiguration(file: file).hls.playlistWindow == 20)
        file.hls.dvrWindowSeconds = 600
        let hls = try SluiceServerConfiguration(file: file).hls
        #expect(hls.playlistWindow == 600)
        #expect(hls.maxRetainedSegments >= 1200) // 600 s of segments as short as segmentMinimumSeconds (0.5 s)
        #expect(hls.maxRetainedBytes == 128 << 20)
    }
}
