import ABR
import Foundation
import LatencyProbe
import Origin
import Testing
import TestSupport

/// The JavaScript port of Sluice's live policy (the hls.js controller, exactly as the origin
/// serves it at /player/sluice-abr.js) must decide as the Swift policy does on the same inputs:
/// decisions recorded by `sluice probe --abr sluice --record` on real links, and generated ones
/// that reach the corners (no samples, zero-byte and zero-time downloads, one-level ladders).
@Suite(.enabled(if: nodeBinary != nil, "needs node (Debian nodejs)"))
struct SluicePolicyParityTests {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")

    struct Decision: Decodable, Equatable {
        var level: Int
        var playbackRate: Double
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the served script's `SluicePolicy` in node on `records`, one decision each.
    static func javaScriptDecisions(_ records: [ABRDecisionRecord]) async throws -> [Decision] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // .mjs: node reads the served ES module as a module without a package.json.
        try Data(PlayerRoutes.sluiceABRScript.utf8).write(to: dir.appendingPathComponent("sluice-abr.mjs"))
        try JSONEncoder().encode(records).write(to: dir.appendingPathComponent("inputs.json"))
        let driver = """
            import { readFileSync } from 'node:fs';
            import { SluicePolicy } from './sluice-abr.mjs';
            const policy = new SluicePolicy();
            const inputs = JSON.parse(readFileSync(new URL('./inputs.json', import.meta.url)));
            console.log(JSON.stringify(inputs.map(i => policy.decide(i))));
            """
        try Data(driver.utf8).write(to: dir.appendingPathComponent("driver.mjs"))
        let process = try ExternalProcess(nodeBinary!, [dir.appendingPathComponent("driver.mjs").path])
        let status = await process.waitForExit(seconds: 60)
        guard status == 0 else { throw Failed(description: "node exited \(status): \(process.errors)") }
        return try JSONDecoder().decode([Decision].self, from: Data(process.output.utf8))
    }

    /// Both sides decide on the records as decoded from the same JSON text.
    static func expectParity(_ records: [ABRDecisionRecord]) async throws {
        let decoded = try JSONDecoder().decode([ABRDecisionRecord].self, from: JSONEncoder().encode(records))
        let js = try await javaScriptDecisions(decoded)
        try #require(js.count == decoded.count)
        var mismatches = 0
        for (record, javaScript) in zip(decoded, js) {
            let swift = SluiceLive().decide(record.input)
            if swift.level != javaScript.level || swift.playbackRate != javaScript.playbackRate {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("Swift \(swift), JavaScript \(javaScript) for \(String(decoding: try JSONEncoder().encode(record), as: UTF8.self))")
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(decoded.count) decisions differ")
    }

    @Test func recordedProbeRunsDecideTheSame() async throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.resources, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
        try #require(!files.isEmpty)
        var records: [ABRDecisionRecord] = []
        for file in files { records += try JSONDecoder().decode([ABRDecisionRecord].self, from: Data(contentsOf: file)) }
        #expect(records.count > 100)
        // The recordings must reach more than one level, or they check little.
        #expect(Set(records.map { SluiceLive().decide($0.input).level }).count > 1)
        try await Self.expectParity(records)
    }

    /// The simulator's vectors (`sluice bench abr --record-vectors`, kept by ABRTests): the
    /// JavaScript must reproduce the recorded decisions too.
    @Test func simulatorVectorsDecideTheSame() async throws {
        let file = Self.resources.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ABRTests/Resources/sluice-live-vectors.json")
        let vectors = try JSONDecoder().decode([SluiceLiveVectors.Vector].self, from: Data(contentsOf: file))
        #expect(vectors.count > 100)
        let records = vectors.map { ABRDecisionRecord($0.input) }
        try await Self.expectParity(records)
        let js = try await Self.javaScriptDecisions(try JSONDecoder().decode([ABRDecisionRecord].self, from: JSONEncoder().encode(records)))
        let differ = zip(vectors, js).filter { $0.decision.level != $1.level || $0.decision.playbackRate != $1.playbackRate }.count
        #expect(differ == 0, "\(differ) of \(vectors.count) recorded decisions differ from the JavaScript's")
    }

    @Test func generatedCornerCasesDecideTheSame() async throws {
        var random = SeededRandom(seed: 0x5_1CE)
        var records: [ABRDecisionRecord] = []
        for _ in 0..<2_000 {
            let levels = random.int(1...5)
            var bitrates: [Double] = []
            var rate = random.double(100...800)
            for _ in 0..<levels {
                bitrates.append(rate)
                rate *= random.double(1.2...3)
            }
            let samples = (0..<random.int(0...10)).map { _ in
                DownloadSample(bytes: random.chance(0.05) ? 0 : random.double(200...300_000),
                               firstByteMs: random.chance(0.05) ? 0 : random.double(0...900),
                               transferMs: random.chance(0.1) ? 0 : random.double(0...3_000),
                               mediaSeconds: random.double(0.1...2))
            }
            var input = LiveInput(bitratesKbps: bitrates, currentLevel: random.int(0...(levels - 1)),
                                  bufferSeconds: random.chance(0.1) ? 0 : random.double(0...6),
                                  latencySeconds: random.double(0...8), targetLatencySeconds: random.double(0.3...4),
                                  partSeconds: random.double(0.1...2), samples: samples)
            // hls.js's controller: a segment's parts per decision, a playlist load before a switch.
            if random.chance(0.5) {
                input.commitParts = random.int(1...8)
                input.switchSeconds = random.chance(0.2) ? 0 : random.double(0...1.5)
            }
            records.append(ABRDecisionRecord(input))
        }
        #expect(Set(records.map { SluiceLive().decide($0.input).level }).count > 2)
        #expect(Set(records.map { SluiceLive().decide($0.input).playbackRate }).count > 1)
        try await Self.expectParity(records)
    }
}

let nodeBinary = ["/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// SplitMix64: the same inputs on every run.
struct SeededRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func double(_ range: ClosedRange<Double>) -> Double { range.lowerBound + unit() * (range.upperBound - range.lowerBound) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}
