import Foundation
import Testing
import TestSupport

/// `sluice bench abr` through the built binary: the JSON shape and the refusal of bad traces.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct ABRBenchCLITests {
    static func folder(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-abr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func jsonLastLineHasOneRowPerPolicy() async throws {
        let dir = try Self.folder(["steady": "0 3\n1 3\n", "dip": "0 4\n10 0.5\n20 4\n30 4\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        // A 6-chunk video keeps the MPC policies quick in a debug build.
        var sizes: [String: String] = [:]
        for (level, kbps) in [300, 750, 1200, 1850, 2850, 4300].enumerated() {
            sizes["video_size_\(level)"] = String(repeating: "\(kbps * 500)\n", count: 6)
        }
        let video = try Self.folder(sizes)
        defer { try? FileManager.default.removeItem(at: video) }
        let r = try await CLITests.run(["bench", "abr", "--traces", dir.path, "--video", video.path, "--json"])
        #expect(r.status == 0, "\(r.err)")
        let last = try #require(r.out.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(object["traces"] as? Int == 2)
        let rows = try #require(object["policies"] as? [[String: Any]])
        #expect(rows.compactMap { $0["name"] as? String } == ["bba", "rb", "bola", "robustmpc", "ewma", "sluice"])
        for row in rows {
            #expect(Set(row.keys) == ["name", "qoe_lin", "qoe_log", "qoe_hd", "bitrate_kbps", "rebuffer_ratio", "switches"])
        }
    }

    @Test func badTraceNamesFileAndLineAndFails() async throws {
        let dir = try Self.folder(["good": "0 3\n1 3\n", "bad": "0 1\n1 fast\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try await CLITests.run(["bench", "abr", "--traces", dir.path, "--policy", "bba"])
        #expect(r.status != 0)
        #expect(r.err.contains("bad:2:") && r.err.contains("expected 'time_s Mbps'"), "\(r.err)")
        let empty = try Self.folder([:])
        defer { try? FileManager.default.removeItem(at: empty) }
        let none = try await CLITests.run(["bench", "abr", "--traces", empty.path])
        #expect(none.status != 0 && none.err.contains("no trace files"), "\(none.err)")
    }

    @Test func liveJSONReportsEveryProfile() async throws {
        let r = try await CLITests.run(["bench", "abr", "--live", "--policy", "sluice", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let last = try #require(r.out.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let rows = try #require(object["policies"] as? [[String: Any]])
        let profiles = try #require(rows.first?["profiles"] as? [[String: Any]])
        #expect(profiles.compactMap { $0["profile"] as? String } == ["cascade", "intra_cascade", "spike", "slow_jitters", "fast_jitters"])
        for key in ["nqoe", "latency_s", "stalls", "speed_changes"] { #expect(rows.first?[key] != nil, "\(key)") }
    }
}
