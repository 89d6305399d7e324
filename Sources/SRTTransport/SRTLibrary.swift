import CSRT

/// Process-wide libsrt lifetime. libsrt must be started once before any socket exists.
public enum SRTLibrary {
    /// libsrt's version as "major.minor.patch".
    public static var version: String {
        let v = srt_getversion()
        return "\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }

    private static let started: Int32 = {
        let result = srt_startup()
        srt_setloglevel(3) // LOG_ERR: libsrt's own chatter stays out of the server's log
        return result
    }()

    /// Starts libsrt once; safe to call from any thread, any number of times.
    public static func startup() throws {
        if started < 0 { throw SRTError.last("srt_startup") }
    }
}
