import Foundation
import Testing
import TestSupport

/// `sluice bench uplink`: the simulated comparison end to end, and bad arguments.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct BenchUplinkCLITests {
    static func run(_ args: [String]) async throws -> (status: Int32, out: String, err: String) {
        let p = try ExternalProcess(sluiceBinary, args)
        let status = await p.waitForExit(seconds: 60)
        return (status, p.output, p.errors)
    }

    static func tempFile(_ name: String, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-\(UUID().uuidString)-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func simulatedRunPrintsEveryPolicyAndTheIssuesJSON() async throws {
        let schedule = try Self.tempFile("s.json", #"{"steps_kbps_seconds": [[1500, 10], [500, 10], [1500, 10]]}"#)
        let plot = schedule + ".svg"
        defer { try? FileManager.default.removeItem(atPath: schedule); try? FileManager.default.removeItem(atPath: plot) }
        let r = try await Self.run(["bench", "uplink", "--schedule", schedule, "--simulate", "--transport", "rtmp", "--json", "--plot", plot])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("SIMULATION"))
        let last = try #require(r.out.split(separator: "\n").last)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let policies = try #require(json["policies"] as? [[String: Any]])
        #expect(policies.compactMap { $0["name"] as? String } == ["fixed", "obs", "belacoder", "gcc", "sluice"])
        for p in policies {
            for key in ["utilisation", "queue_delay_ms", "g2g_ms", "fit_after_drop_s", "recover_s", "dropped_frames", "stalls"] {
                #expect(p[key] != nil, "\(key) missing")
            }
        }
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("sluice"))
    }

    @Test func badArgumentsGiveOneLineAndFail() async throws {
        let schedule = try Self.tempFile("ok.json", #"{"steps_kbps_seconds": [[1000, 5]]}"#)
        let bad = try Self.tempFile("bad.txt", "0 1.0\n5 -3\n")
        defer { try? FileManager.default.removeItem(atPath: schedule); try? FileManager.default.removeItem(atPath: bad) }
        let cases: [([String], String)] = [
            (["--schedule", "/nonexistent/schedule.json", "--simulate"], "cannot read schedule"),
            (["--schedule", bad, "--simulate"], "malformed schedule"),
            (["--schedule", schedule, "--simulate", "--policy", "bbr"], "unknown --policy"),
            (["--schedule", schedule, "--simulate", "--transport", "quic"], "--transport must be srt or rtmp"),
            (["--schedule", schedule, "--simulate", "--min-kbps", "900", "--max-kbps", "300"], "--min-kbps"),
            (["--schedule", schedule, "--burst-loss", "0.01"], "--burst-loss must be"),
            (["--schedule", schedule, "--simulate", "--burst-loss", "0.01,0.3"], "--burst-loss needs the measured run"),
            (["--schedule", schedule, "--realistic"], "--realistic applies to --simulate only"),
        ]
        for (args, message) in cases {
            let r = try await Self.run(["bench", "uplink"] + args)
            #expect(r.status != 0 && r.err.contains(message), "\(args): \(r.err)")
        }
    }
}
