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

    /// The slot a packetizer reserves for it: first element, one-byte form, filled at send time.
    public static func slot(id: UInt8) -> RTPHeaderExtension? {
        (1...14).contains(id) ? RTPHeaderExtension(id: id, data: [0, 0, 0]) : nil
    }

    /// Writes the time into `packet`'s reserved slot in place (no parse, no copy); false when the
    /// packet has no such slot (then use `RTPHeader.settingExtension`).
    public static func stamp(_ packet: inout [UInt8], id: UInt8, nanos: UInt64) -> Bool {
        // V=2 with X set and no CSRCs; 0xBEDE; the first element is ours, 3 bytes long.
        guard packet.count >= 20, packet[0] & 0xDF == 0x90, packet[12] == 0xBE, packet[13] == 0xDE,
              packet[16] == id << 4 | 2 else { return false }
        let value = data(nanos: nanos)
        packet[17] = value[0]
        packet[18] = value[1]
        packet[19] = value[2]
        return true
    }
}
