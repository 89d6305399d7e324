import Foundation

/// A network trace: `time_s  Mbps` per line (Pensieve's cooked traces), times non-decreasing.
public struct Trace: Sendable, Equatable {
    public var name: String
    public var times: [Double]
    public var mbps: [Double]

    public init(name: String, times: [Double], mbps: [Double]) {
        self.name = name
        self.times = times
        self.mbps = mbps
    }

    /// Parses trace text; `name` is only used in errors.
    public static func parse(_ text: String, name: String) throws(TraceError) -> Trace {
        var times: [Double] = []
        var mbps: [Double] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count >= 2, let t = Double(fields[0]), let b = Double(fields[1]), t.isFinite, b.isFinite else {
                throw TraceError(file: name, line: lineNumber, reason: "expected 'time_s Mbps', got '\(line.prefix(60))'")
            }
            guard t >= 0, b >= 0 else {
                throw TraceError(file: name, line: lineNumber, reason: "negative value in '\(line.prefix(60))'")
            }
            if let last = times.last, t < last {
                throw TraceError(file: name, line: lineNumber, reason: "time \(t) goes back from \(last)")
            }
            times.append(t)
            mbps.append(b)
        }
        guard times.count >= 2 else {
            throw TraceError(file: name, line: lineNumber, reason: times.isEmpty ? "no samples" : "one sample; a trace needs two")
        }
        // The simulator walks the trace until the bytes are sent: some step must carry data.
        guard (1..<times.count).contains(where: { mbps[$0] > 0 && times[$0] > times[$0 - 1] }) else {
            throw TraceError(file: name, line: lineNumber, reason: "no bandwidth: every rate is 0 or no time passes")
        }
        return Trace(name: name, times: times, mbps: mbps)
    }

    /// Every regular file of a folder, sorted by name.
    public static func loadFolder(_ path: String) throws(TraceError) -> [Trace] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw TraceError(file: path, line: 0, reason: "cannot list the folder")
        }
        var traces: [Trace] = []
        for name in names {
            let file = (path as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue else { continue }
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw TraceError(file: file, line: 0, reason: "unreadable or not UTF-8 text")
            }
            traces.append(try parse(text, name: file))
        }
        guard !traces.isEmpty else { throw TraceError(file: path, line: 0, reason: "no trace files in the folder") }
        return traces
    }
}

/// A trace that cannot be used, with the file and line to look at.
public struct TraceError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}
