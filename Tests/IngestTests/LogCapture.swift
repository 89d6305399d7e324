import Logging
import Synchronization

/// Every line a server logs, with its metadata, for tests that assert a refusal was logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func matching(_ text: String) -> [String] { all.filter { $0.contains(text) } }

    var logger: Logger {
        var l = Logger(label: "capture") { _ in Handler(capture: self) }
        l.logLevel = .info
        return l
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = metadata.merging(event.metadata ?? [:]) { $1 }.map { "\($0.key)=\($0.value)" }.sorted()
            capture.append("\(event.level) \(event.message) \(meta.joined(separator: " "))")
        }
    }
}
