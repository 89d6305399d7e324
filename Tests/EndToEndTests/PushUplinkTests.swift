import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LatencyProbe
import Testing
import TestSupport

/// `sluice push` as a contribution encoder: re-encoding a local RTMP push, adapting to a narrow
/// link over RTMP and SRT (asserted on its --stats file), and refusing bad arguments.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct PushUplinkTests {
    struct StatsLine: Decodable {
        var t: Double
        var target_kbps: Int
        var sent_kbps: Double
        var queue_ms: Double
        var dropped_frames: Int
    }

    static func statsLines(_ path: String) -> [StatsLine] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(StatsLine.self, from: Data($0.utf8)) }
    }

    static func tempFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(name)-\(UUID().uuidString)").path
    }

    @Test func pushInputRelaysALocalRTMPPush() async throws {
        let server = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await server.stop() } }
        let listenPort = try ClosedPort.make()
        let relay = try ExternalProcess(sluiceBinary, ["push", "rtmp://127.0.0.1:\(server.server.rtmpPort!)/live/relayed",
                                                       "--input", "rtmp://127.0.0.1:\(listenPort)/live/in?listen",
                                                       "--kbps", "800", "--duration", "12"])
        // The OBS side: ffmpeg publishes to the relay's listen URL. Refused while the relay is
        // not listening yet (ffmpeg then exits at once): try again.
        var encoder: ExternalProcess?
        for _ in 0..<20 where encoder == nil {
            let attempt = try ExternalProcess("ffmpeg", ServerHarness.testPattern(seconds: 8) + ["-f", "flv", "rtmp://127.0.0.1:\(listenPort)/live/in"])
            try await Task.sleep(for: .milliseconds(1500))
            if attempt.isRunning { encoder = attempt }
        }
        #expect(encoder != nil, "ffmpeg could not publish to the relay: \(relay.errors)")
        let listed = await eventually(within: 30) { () -> Bool in
            let r = try? run("/usr/bin/curl", ["-sf", server.url("live/relayed/source/index.m3u8")], timeout: 5)
            return r?.out.contains("#EXTINF") == true
        }
        #expect(listed, "the relayed stream never got a segment; push: \(relay.errors)")
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width", "-of", "csv=p=0",
                                                 server.url("live/relayed/source/index.m3u8")], timeout: 20)
        #expect(probe.out.contains("h264,640"), "\(probe.out) \(probe.err)")
        #expect(probe.out.contains("aac"), "audio was not carried: \(probe.out)")
        let status = await relay.waitForExit(seconds: 20)
        #expect(status == 0, "push exit \(status): \(relay.errors)")
        #expect(relay.output.contains("\"summary\":true"), "\(relay.output)")
        encoder?.stop()
    }

    /// A recording stamped upstream keeps its stamps through `push --input` (re-encoded, over
    /// SRT), so `sluice probe` measures from the original capture, not from the relay.
    @Test func pushInputCarriesTheInputsOwnStamps() async throws {
        let file = Self.tempFile("stamped.ts")
        defer { try? FileManager.default.removeItem(atPath: file) }
        var recorder = StampingPublisher(url: file)
        recorder.width = 320
        recorder.height = 240
        recorder.seconds = 2
        let r = recorder
        _ = try await offPool { try r.run() }
        let original = Set(StampScanner.stamps(in: try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(original.count >= 50)

        let server = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await server.stop() } }
        let push = try ExternalProcess(sluiceBinary, ["push", "srt://127.0.0.1:\(server.server.srtPort!)?streamid=live/stamped",
                                                      "--input", file, "--kbps", "500"])
        #expect(await push.waitForExit(seconds: 30) == 0, "\(push.errors)")
        var carried: [Int64] = []
        _ = await eventually(within: 10) {
            let playlist = (try? run("/usr/bin/curl", ["-sf", server.url("live/stamped/source/index.m3u8")], timeout: 5).out) ?? ""
            carried = []
            for name in playlist.split(separator: "\n") where name.hasSuffix(".m4s") && !name.hasPrefix("#") {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-seg-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: path) }
                _ = try? run("/usr/bin/curl", ["-sf", "-o", path, server.url("live/stamped/source/\(name)")], timeout: 5)
                carried += StampScanner.stamps(in: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
            }
            return carried.count >= 30
        }
        #expect(carried.count >= 30, "stamps found in the relayed segments: \(carried.count)")
        #expect(carried.allSatisfy { original.contains($0) }, "a stamp that is not the recording's own")
    }

    /// `--loop` restarts a file at its end with timestamps continuing: the relayed playlist grows
    /// past the file's length with no discontinuity.
    @Test func loopedFileContinuesItsTimeline() async throws {
        let file = Self.tempFile("two-seconds.mp4")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let made = try run("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi",
                                               "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:v", "libx264", "-g", "25",
                                               "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mp4", file], timeout: 20)
        #expect(made.status == 0, "\(made.err)")
        let server = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await server.stop() } }
        let push = try ExternalProcess(sluiceBinary, ["push", "rtmp://127.0.0.1:\(server.server.rtmpPort!)/live/looped",
                                                      "--input", file, "--loop", "--duration", "7", "--kbps", "400"])
        #expect(await push.waitForExit(seconds: 30) == 0, "\(push.errors)")
        #expect(push.output.contains("\"summary\":true"), "\(push.output)")
        var playlist = ""
        _ = await eventually(within: 10) {
            playlist = (try? run("/usr/bin/curl", ["-sf", server.url("live/looped/source/index.m3u8")], timeout: 5).out) ?? ""
            return playlist.contains("#EXTINF")
        }
        let seconds = playlist.split(separator: "\n").filter { $0.hasPrefix("#EXTINF:") }
            .compactMap { Double($0.dropFirst(8).split(separator: ",").first ?? "") }.reduce(0, +)
        #expect(seconds > 4.5, "the loop should have sent well over the file's 2 s: \(playlist)")
        #expect(!playlist.contains("#EXT-X-DISCONTINUITY\n"), "timestamps jumped at the loop: \(playlist)")
    }

    /// `sluice shape` on the push path, a real Sluice behind it. The link (250 kbit/s) is far
    /// narrower than what the encoder starts with, so any policy has to come down.
    func adaptivePush(srt: Bool) async throws -> [StatsLine] {
        let server = try await ServerHarness.start(ladder: "240p:250k")
        defer { Task { await server.stop() } }
        let target = srt ? server.server.srtPort! : server.server.rtmpPort!
        let shape = try ExternalProcess(sluiceBinary, ["shape", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:\(target)",
                                                       "--rate", "0.25", "--direction", "up", "--duration", "30"] + (srt ? ["--udp"] : []))
        defer { shape.stop() }
        var port: Int?
        _ = await eventually(within: 10) {
            // "sluice shape: listening on 127.0.0.1:PORT (tcp|udp), ..."
            port = shape.output.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }
                .flatMap { Int($0.split(separator: ":").last ?? "") }
            return port != nil
        }
        let link = try #require(port, "sluice shape did not start: \(shape.errors)")
        let url = srt ? "srt://127.0.0.1:\(link)?streamid=live/narrow" : "rtmp://127.0.0.1:\(link)/live/narrow"
        let stats = Self.tempFile("stats.jsonl")
        defer { try? FileManager.default.removeItem(atPath: stats) }
        let push = try ExternalProcess(sluiceBinary, ["push", url, "--adaptive", "--policy", "sluice", "--size", "640x360",
                                                      "--kbps", "2000", "--min-kbps", "100", "--max-kbps", "2000",
                                                      "--duration", "10", "--stats", stats])
        let status = await push.waitForExit(seconds: 40)
        #expect(status == 0, "push exit \(status): \(push.errors)")
        let lines = Self.statsLines(stats)
        #expect(lines.count > 10, "too few stats lines: \(lines.count)")
        return lines
    }

    @Test func adaptivePushLowersItsBitrateOnANarrowRTMPLink() async throws {
        let lines = try await adaptivePush(srt: false)
        let first = try #require(lines.first).target_kbps
        #expect(first == 2000)
        #expect(lines.contains { $0.target_kbps < first }, "target never went down: \(lines.map(\.target_kbps))")
    }

    @Test func adaptivePushLowersItsBitrateOnANarrowSRTLink() async throws {
        let lines = try await adaptivePush(srt: true)
        let first = try #require(lines.first).target_kbps
        #expect(first == 2000)
        #expect(lines.contains { $0.target_kbps < first }, "target never went down: \(lines.map(\.target_kbps))")
    }

    @Test func badArgumentsGiveOneClearLine() async throws {
        let cases: [([String], String)] = [
            (["--input", "/nonexistent/sluice-input.mp4"], "cannot read --input /nonexistent/sluice-input.mp4"),
            (["--adaptive", "--min-kbps", "2000", "--max-kbps", "1000"], "--min-kbps (2000) must not exceed --max-kbps (1000)"),
            (["--adaptive", "--policy", "turbo"], "unknown --policy \"turbo\""),
            (["--loop"], "--loop needs --input"),
        ]
        for (args, message) in cases {
            let p = try ExternalProcess(sluiceBinary, ["push", "rtmp://127.0.0.1:1/live/x"] + args)
            let status = await p.waitForExit(seconds: 20)
            #expect(status != 0, "\(args)")
            let errorLines = p.errors.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(errorLines.count == 1 && errorLines.first?.contains(message) == true, "\(args): \(p.errors)")
        }
        // An input that exists but is not media: refused when opened, one line too.
        let junk = Self.tempFile("junk.mp4")
        try Data("not media".utf8).write(to: URL(fileURLWithPath: junk))
        defer { try? FileManager.default.removeItem(atPath: junk) }
        let port = try ClosedPort.make()
        let p = try ExternalProcess(sluiceBinary, ["push", "rtmp://127.0.0.1:\(port)/live/x", "--input", junk])
        #expect(await p.waitForExit(seconds: 20) == 1)
        let errorLines = p.errors.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(errorLines.count == 1 && errorLines.first?.contains("cannot read the input") == true, "\(p.errors)")
    }
}
