import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// Issue 9 finding 8: SIGTERM reset held blocking-reload requests although the docs promise
/// ENDLIST. Streams now end before the origin closes. Issue 12 item 7: the publisher is told
/// (RTMP onStatus) before its connection closes, the open segment is finished and listed,
/// `/readyz` turns 503, and a viewer waiting for a show that has not started gets an answer.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct ShutdownTests {
    static func port(after prefix: String, in output: String) -> Int? {
        guard let range = output.range(of: prefix) else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func sigtermAnswersHeldBlockingReloadsWithEndlist() async throws {
        let serve = try ExternalProcess(sluiceBinary, ["serve", "--host", "127.0.0.1", "--rtmp-port", "0", "--srt-port", "0",
                                                       "--http-port", "0", "--no-transcode"])
        defer { serve.kill() }
        #expect(await eventually(within: 30) { serve.output.contains("HLS:  play") })
        let rtmp = try #require(Self.port(after: "push to rtmp://127.0.0.1:", in: serve.output))
        let http = try #require(Self.port(after: "play http://127.0.0.1:", in: serve.output))
        let push = try ExternalProcess("ffmpeg", ServerHarness.testPattern(seconds: 60) + ["-f", "flv", "rtmp://127.0.0.1:\(rtmp)/live/term"])
        defer { push.kill() }

        let playlist = "http://127.0.0.1:\(http)/live/term/source/index.m3u8"
        var body = ""
        for _ in 0..<60 where ReconnectTests.lastSegment(body) < 1 {
            try await Task.sleep(for: .milliseconds(500))
            body = (try? String(decoding: await URLSession.shared.data(from: URL(string: playlist)!).0, as: UTF8.self)) ?? ""
        }
        let last = ReconnectTests.lastSegment(body)
        #expect(last >= 1, "no segments: \(body)")

        #expect(await Self.status("http://127.0.0.1:\(http)/readyz") == 200)

        // A viewer waiting for a show that has not started: held up to 10 s for it.
        let waiting = Task { await Self.status("http://127.0.0.1:\(http)/live/later/index.m3u8") }
        // Two segments ahead: held for seconds, far longer than the shutdown below takes.
        let held = Task { () -> (Int?, String) in
            var request = URLRequest(url: URL(string: "\(playlist)?_HLS_msn=\(last + 2)&_HLS_part=0")!)
            request.timeoutInterval = 30
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                return ((response as? HTTPURLResponse)?.statusCode, String(decoding: data, as: UTF8.self))
            } catch {
                return (nil, "\(error)")
            }
        }
        try await Task.sleep(for: .milliseconds(500)) // the request reaches the server and is held
        kill(serve.pid, SIGTERM)
        let (status, answer) = await held.value
        #expect(status == 200, "held request: \(answer)")
        #expect(answer.contains("#EXT-X-ENDLIST"), "\(answer)")
        // The open segment was finished and listed: a media URI right before ENDLIST, no hint after it.
        let lines = answer.split(separator: "\n").map(String.init)
        if let end = lines.firstIndex(of: "#EXT-X-ENDLIST") {
            #expect(end > 0 && !lines[end - 1].hasPrefix("#"), "\(answer)")
        }
        #expect(!answer.contains("#EXT-X-PRELOAD-HINT"), "\(answer)")
        #expect(await waiting.value != nil, "the viewer waiting for a show got no answer (connection reset)")
        #expect(await serve.waitForExit(seconds: 20) == 0, "\(serve.errors)")
        // The publisher was told why before its connection closed, and went away.
        #expect(serve.errors.contains("RTMP publisher stopped by the server"), "\(serve.errors)")
        #expect(serve.errors.contains("RTMP connection closing: the server is shutting down"), "\(serve.errors)")
        #expect(await eventually(within: 10) { !push.isRunning }, "ffmpeg still publishing")
    }

    /// The HTTP status of a GET; nil when the connection failed or was reset.
    static func status(_ url: String) async -> Int? {
        guard let u = URL(string: url) else { return nil }
        var request = URLRequest(url: u)
        request.timeoutInterval = 30
        return ((try? await URLSession.shared.data(for: request))?.1 as? HTTPURLResponse)?.statusCode
    }
}
