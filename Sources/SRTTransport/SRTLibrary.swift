import CSRT

/// Process-wide libsrt lifetime. libsrt must be started once before any socket exists.
public enum SRTLibrary {
    /// libsrt's version as "major.minor.patch".
    public static var version: String {
        let v = srt_getversion()
        return "\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }
}
