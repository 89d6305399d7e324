import CFFmpeg
import CMediaShims
import Logging
import Synchronization

/// Forwards FFmpeg's av_log lines into swift-log.
public enum FFmpegLog {
    private static let sink = Mutex<Logger?>(nil)

    /// Routes FFmpeg's lines at `level` and more severe to `logger`.
    public static func install(logger: Logger, level: Logger.Level = .warning) {
        sink.withLock { $0 = logger }
        sluice_av_log_install({ level, line in
            guard let line else { return }
            FFmpegLog.emit(avLevel: level, line: String(cString: line))
        }, avLevel(for: level))
    }

    public static func uninstall() {
        sluice_av_log_uninstall()
        sink.withLock { $0 = nil }
    }

    static func emit(avLevel: Int32, line: String) {
        guard let logger = sink.withLock({ $0 }) else { return }
        logger.log(level: swiftLevel(for: avLevel), "\(line)", metadata: ["component": "ffmpeg"])
    }

    static func swiftLevel(for avLevel: Int32) -> Logger.Level {
        switch avLevel {
        case ...AV_LOG_ERROR: .error
        case ...AV_LOG_WARNING: .warning
        case ...AV_LOG_INFO: .info
        case ...AV_LOG_VERBOSE: .debug
        default: .trace
        }
    }

    static func avLevel(for level: Logger.Level) -> Int32 {
        switch level {
        case .critical, .error: AV_LOG_ERROR
        case .warning: AV_LOG_WARNING
        case .notice, .info: AV_LOG_INFO
        case .debug: AV_LOG_VERBOSE
        case .trace: AV_LOG_TRACE
        }
    }
}
