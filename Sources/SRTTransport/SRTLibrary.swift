import CSRT
import Synchronization

/// Process-wide libsrt lifetime. libsrt must be started once before any socket exists.
public enum SRTLibrary {
    /// libsrt's version as "major.minor.patch".
    public static var version: String {
        let v = srt_getversion()
        return "\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }

    /// Where libsrt's own log lines go: (syslog level, area, message). Without one, libsrt
    /// writes to stderr.
    public typealias LogSink = @Sendable (_ level: Int32, _ area: String, _ message: String) -> Void
    /// libsrt's log is process-wide; every listener that wants it gets each line.
    private static let logSinks = Mutex<(next: Int, sinks: [Int: LogSink])>((0, [:]))

    private static let started: Int32 = {
        let result = srt_startup()
        srt_setloglevel(3) // LOG_ERR: libsrt's own chatter stays out of the server's log
        return result
    }()

    /// Starts libsrt once; safe to call from any thread, any number of times.
    public static func startup() throws {
        if started < 0 { throw SRTError.last("srt_startup") }
    }

    /// Routes libsrt's log at `level` and above (syslog numbering: 3 error, 4 warning,
    /// 5 notice, 7 debug) to `sink` until `removeLogSink` is called with the returned token.
    public static func addLogSink(level: Int32 = 3, _ sink: @escaping LogSink) -> Int {
        _ = started
        let token = logSinks.withLock { s in
            s.next += 1
            s.sinks[s.next] = sink
            return s.next
        }
        // Plain messages: the sink's logger adds time, level and newline itself.
        srt_setlogflags(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME | SRT_LOGF_DISABLE_SEVERITY | SRT_LOGF_DISABLE_EOL)
        srt_setloglevel(level)
        srt_setloghandler(nil) { _, level, _, _, area, message in
            let sinks = SRTLibrary.logSinks.withLock { Array($0.sinks.values) }
            guard !sinks.isEmpty else { return } // nobody listens: dropped, never to stderr
            let area = area.map { String(cString: $0) } ?? "", text = message.map { String(cString: $0) } ?? ""
            for sink in sinks { sink(level, area, text) }
        }
        return token
    }

    public static func removeLogSink(_ token: Int) {
        logSinks.withLock { _ = $0.sinks.removeValue(forKey: token) }
    }
}
