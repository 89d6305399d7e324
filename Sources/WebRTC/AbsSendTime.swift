/// The abs-send-time RTP header extension (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time):
/// when the packet left, 6.18 fixed-point seconds modulo 64. A browser's receive-side estimator
/// (the one behind REMB) compares these with arrival times; without it, it has only RTP
/// timestamps, and the ladder's encode jitter then looks like a queue on the path.
public enum AbsSendTime {
    public static let uri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

    /// The extension's 3 bytes for a monotonic time in nanoseconds.
    public static func data(nanos: UInt64) -> [UInt8] {
        let seconds = nanos / 1_000_000_000, fraction = nanos % 1_000_000_000
        let value = (seconds << 18 | fraction << 18 / 1_000_000_000) & 0xFF_FFFF
        return [UInt8(value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
