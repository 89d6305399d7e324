import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `sluice bench whep` against a real `sluice serve` fed by `sluice push`: every viewer connects
/// (STUN, DTLS, SRTP) and receives RTP; and bad arguments.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct BenchWHEPCLITests {
    static func port(after prefix: String, in output: String) -> Int? {
        guard let range = output.range(of: prefix) else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func threeViewersConnectAndReceive() async throws {
        // env: the UDP port comes from SLUICE_WEBRTC_PORT (0 = free port), as an operator sets it.
        let serve = try ExternalProcess("env", ["SLUICE_WEBRTC_PORT=0", sluiceBinary, "serve", "--host", "127.0.0.1",
                                                "--rtmp-port", "0", "--srt-port", "0", "--http-port", "0", "--ladder", "240p:250k"])
        defer { serve.kill() }
        #expect(await eventually(within: 30) { serve.output.contains("HLS:  play") }, "\(serve.errors)")
        let rtmp = try #require(Self.port(after: "push to rtmp://127.0.0.1:", in: serve.output))
        let http = try #require(Self.port(after: "play http://127.0.0.1:", in: serve.output))
        let push = try ExternalProcess(sluiceBinary, ["push", "rtmp://127.0.0.1:\(rtmp)/live/bw", "--size", "640x360",
                                                      "--fps", "25", "--kbps", "800", "--duration", "60"])
        defer { push.kill() }
        // The rung exists once its playlist does.
        let playlist = try #require(URL(string: "http://127.0.0.1:\(http)/live/bw/240p/index.m3u8"))
        var ready = false
        for _ in 0..<80 where !ready {
            let status = ((try? await URLSession.shared.data(from: playlist))?.1 as? HTTPURLResponse)?.statusCode
            ready = status == 200
            if !ready { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(ready, "no 240p rung: \(push.errors) \(serve.errors.suffix(2000))")

        let bench = try ExternalProcess(sluiceBinary, ["bench", "whep", "http://127.0.0.1:\(http)/whep/live/bw/240p",
                                                       "--viewers", "3", "--seconds", "5", "--ramp-seconds", "1",
                                                       "--server-pid", "\(serve.pid)", "--baseline-seconds", "1", "--json"])
        let status = await bench.waitForExit(seconds: 60)
        #expect(status == 0, "\(bench.errors)")
        let last = try #require(bench.output.split(separator: "\n").last, "\(bench.output) \(bench.errors)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(bench.output)")
        #expect(json["connected"] as? Int == 3, "\(bench.output)")
        #expect((json["packets"] as? Int ?? 0) > 0, "\(bench.output)")
        #expect(json["server_cpu_percent"] is Double, "\(json)")
        #expect(bench.output.contains("first keyframe after POST") && bench.output.contains("this client's CPU"))
        // Every session was DELETEd at the end.
        #expect(await eventually(within: 5) { serve.errors.components(separatedBy: "reason=DELETE").count - 1 == 3 }, "\(serve.errors.suffix(3000))")
    }

    @Test func badArgumentsGiveOneLineAndFail() async throws {
        let cases: [([String], String)] = [
            ([], "expected a WHEP URL"),
            (["http://127.0.0.1:1/whep/live/x", "--viewers", "0"], "--viewers must be 1–1000"),
            (["ftp://127.0.0.1/whep/live/x"], "expected an http(s):// WHEP URL"),
            (["http://127.0.0.1:1/whep/live/x", "--seconds", "0"], "--seconds must be"),
        ]
        for (args, message) in cases {
            let p = try ExternalProcess(sluiceBinary, ["bench", "whep"] + args)
            let status = await p.waitForExit(seconds: 30)
            let errorLines = p.errors.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(status != 0 && p.errors.contains(message) && errorLines.count == 1, "\(args): \(p.errors)")
        }
    }
}
