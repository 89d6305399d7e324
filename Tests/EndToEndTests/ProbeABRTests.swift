import Foundation
import Testing
import TestSupport

/// `sluice probe --abr`: the virtual-buffer player over real HTTP against a live ladder, and its
/// refusals.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct ProbeABRTests {
    @Test func badArgumentsAreRefusedWithAReason() async throws {
        let policy = try await CLITests.run(["probe", "http://127.0.0.1:1/live/x/index.m3u8", "--abr", "nope"])
        #expect(policy.status != 0 && policy.err.contains("unknown ABR policy \"nope\""), "\(policy.err)")
        let record = try await CLITests.run(["probe", "http://127.0.0.1:1/live/x/index.m3u8", "--record", "/tmp/x.json"])
        #expect(record.status != 0 && record.err.contains("--record needs --abr"), "\(record.err)")
        let scheme = try await CLITests.run(["probe", "rtmp://127.0.0.1/live/x", "--abr", "sluice"])
        #expect(scheme.status != 0 && scheme.err.contains("--abr needs an http(s)://"), "\(scheme.err)")
        let refused = try await CLITests.run(["probe", "http://127.0.0.1:1/live/x/index.m3u8", "--abr", "bba", "--duration", "2"])
        #expect(refused.status != 0 && refused.err.contains("cannot read"), "\(refused.err)")
        let trace = try await CLITests.run(["bench", "abr", "--player", "--trace", "/nonexistent/trace"])
        #expect(trace.status != 0 && trace.err.contains("--trace /nonexistent/trace"), "\(trace.err)")
    }

    @Test func playsALiveLadderAndReportsQoE() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/probe-abr")
        defer { push.kill() }
        var master = ""
        for _ in 0..<60 where variantCount(master) < 3 {
            master = await h.get("live/probe-abr/index.m3u8").body
            try await Task.sleep(for: .milliseconds(500))
        }
        try #require(variantCount(master) == 3, "multivariant: \(master)")
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-probe-abr-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: record) }
        let run = try await CLITests.run(["probe", h.url("live/probe-abr/index.m3u8"), "--abr", "sluice", "--duration", "6",
                                          "--json", "--record", record.path])
        #expect(run.status == 0, "\(run.err)")
        let line = try #require(run.out.split(separator: "\n").last)
        struct Report: Decodable {
            var policy: String
            var parts: Int
            var levels_kbps: [Double]
            var bitrate_kbps: Double
            var stalls: Int
            var latency_s: Double?
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(line.utf8))
        #expect(report.policy == "sluice")
        #expect(report.levels_kbps.count == 3)
        #expect(report.parts > 5)
        #expect(report.bitrate_kbps >= report.levels_kbps.min() ?? 0)
        #expect(report.latency_s != nil, "Sluice writes program date-times")
        // One recorded decision per part request, each with its input.
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: record)) as? [[String: Any]]
        #expect((recorded?.count ?? 0) >= report.parts)
        #expect(recorded?.first?["bitratesKbps"] != nil)
    }
}
