import ABR
import Foundation
import Testing

@Suite struct TraceTests {
    @Test func readsTabsAndSpaces() throws {
        let t = try Trace.parse("0.0\t1.5\n0.5 2\n\n", name: "t")
        #expect(t.times == [0, 0.5] && t.mbps == [1.5, 2])
    }

    @Test(arguments: [
        ("", 1, "no samples"),
        ("0 1\nx 2\n", 2, "expected 'time_s Mbps'"),
        ("0 1\n1 -3\n", 2, "negative"),
        ("0 1\n0.5\n", 2, "expected 'time_s Mbps'"),
        ("0 0\n1 0\n", 3, "no bandwidth"),
    ])
    func badTracesNameTheLine(text: String, line: Int, reason: String) {
        #expect {
            _ = try Trace.parse(text, name: "bad")
        } throws: { error in
            guard let e = error as? TraceError else { return false }
            return e.file == "bad" && e.line == line && e.description.contains(reason)
        }
    }

    @Test func anEmptyFolderIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-abr-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: TraceError.self) { _ = try Trace.loadFolder(dir.path) }
    }
}
