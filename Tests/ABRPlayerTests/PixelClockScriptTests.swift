import Foundation
import LatencyProbe
import Origin
import Testing

/// The browser's pixel-clock reader (/player/latency.js, as served) reads what the Swift
/// writer draws, on pictures of every size a ladder makes; and /player uses the recommended
/// hls.js settings the latency page measures.
@Suite(.enabled(if: nodeBinary != nil, "needs node (Debian nodejs)"))
struct PixelClockScriptTests {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// Picture heights (16:9) and the value drawn into each, as grey RGBA of the whole picture.
    static let cases: [(width: Int, height: Int, value: UInt64)] = [
        (1920, 1080, 1_764_000_000_123), (1280, 720, 1_764_000_000_456), (854, 480, 0xFFFF_FFFF_FFFF),
        (640, 360, 1_764_000_001_789), (426, 240, 42),
    ]

    @Test func theServedScriptReadsWhatSwiftDraws() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-pixelclock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(PlayerRoutes.latencyScript.utf8).write(to: dir.appendingPathComponent("latency.mjs"))
        for (i, c) in Self.cases.enumerated() {
            var luma = [UInt8](repeating: 90, count: c.width * c.height)
            luma.withUnsafeMutableBufferPointer {
                PixelClock.draw(millis: c.value, luma: $0.baseAddress!, stride: c.width, width: c.width, height: c.height)
            }
            #expect(luma.withUnsafeBufferPointer { PixelClock.read(luma: $0.baseAddress!, stride: c.width, width: c.width, height: c.height) } == c.value)
            var rgba = [UInt8](repeating: 255, count: c.width * c.height * 4)
            for p in 0..<luma.count { rgba[4 * p] = luma[p]; rgba[4 * p + 1] = luma[p]; rgba[4 * p + 2] = luma[p] }
            try Data(rgba).write(to: dir.appendingPathComponent("\(i).rgba"))
            try Data(luma).write(to: dir.appendingPathComponent("\(i).luma"))
        }
        let sizes = Self.cases.map { "[\($0.width),\($0.height)]" }.joined(separator: ",")
        let driver = """
            import { readFileSync } from 'node:fs';
            import { cellMeans, decodeMeans, lumaCellMeans } from './latency.mjs';
            const sizes = [\(sizes)];
            const out = sizes.flatMap(([w, h], i) => {
              const rgba = readFileSync(new URL(`./${i}.rgba`, import.meta.url));
              const luma = readFileSync(new URL(`./${i}.luma`, import.meta.url));
              // The luma reader as the page calls it: a copy of the corner only, at an offset.
              const cw = Math.min(w, Math.ceil((16 * h / 36 + 1) / 2) * 2), ch = Math.min(h, Math.ceil((5 * h / 36 + 1) / 2) * 2);
              const corner = new Uint8Array(7 + cw * ch);
              for (let y = 0; y < ch; y++) corner.set(luma.subarray(y * w, y * w + cw), 7 + y * cw);
              return [decodeMeans(cellMeans(rgba, w, h, h)), decodeMeans(lumaCellMeans(corner, 7, cw, cw, ch, h))];
            });
            console.log(JSON.stringify(out));
            """
        try Data(driver.utf8).write(to: dir.appendingPathComponent("driver.mjs"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: nodeBinary!)
        process.arguments = [dir.appendingPathComponent("driver.mjs").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failed(description: "node exited \(process.terminationStatus)") }
        let values = try JSONDecoder().decode([UInt64?].self, from: output)
        #expect(values == Self.cases.flatMap { [Optional($0.value), Optional($0.value)] }) // canvas, luma
    }

    /// /player runs the settings the latency page measures as "recommended".
    @Test func playerPageUsesTheRecommendedHlsjsSettings() throws {
        let script = PlayerRoutes.latencyScript
        let start = try #require(script.range(of: "export const RECOMMENDED_HLS_CONFIG = {"))
        let end = try #require(script[start.upperBound...].range(of: "};"))
        let entries = script[start.upperBound..<end.lowerBound].split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("//") }
            .map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }
        #expect(entries.count >= 2)
        let page = PlayerRoutes.playerPage.replacingOccurrences(of: " ", with: "")
        for entry in entries {
            #expect(page.contains(entry.replacingOccurrences(of: " ", with: "")), "/player lacks \(entry)")
        }
    }
}
