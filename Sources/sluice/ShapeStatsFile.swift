import Foundation
import LinkShaper

/// `--stats FILE`: one JSON object per line. Written off the event loop, on a serial queue.
final class ShapeStatsFile: Sendable {
    private let handle: FileHandle
    private let queue = DispatchQueue(label: "sluice.shape.stats")

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandFailure("cannot write --stats \(path)")
        }
        self.handle = handle
    }

    func write(_ lines: [LinkSecond]) {
        let text = lines.compactMap(Self.encode).joined()
        queue.async { [handle] in try? handle.write(contentsOf: Data(text.utf8)) }
    }

    func writeSummary(_ summaries: [LinkSummary]) {
        struct Line: Encodable { var summary: [LinkSummary] }
        let text = Self.encode(Line(summary: summaries)) ?? ""
        queue.async { [handle] in try? handle.write(contentsOf: Data(text.utf8)) }
    }

    func close() {
        queue.sync { try? handle.close() }
    }

    private static func encode(_ value: some Encodable) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
