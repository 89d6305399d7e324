import CFFmpeg

public enum FFmpegVersion {
    /// e.g. "libavcodec 59.37.100, libavformat 59.27.100".
    public static var description: String {
        func v(_ n: UInt32) -> String { "\(n >> 16).\((n >> 8) & 0xFF).\(n & 0xFF)" }
        return "libavcodec \(v(avcodec_version())), libavformat \(v(avformat_version())), libavutil \(v(avutil_version()))"
    }
}
