/// The playout-delay RTP header extension (webrtc.org's
/// `http://www.webrtc.org/experiments/rtp-hdrext/playout-delay`): the sender's bounds on the
/// receiver's playout delay, min and max in 10 ms units, 12 bits each (3 bytes). min = max = 0
/// is what cloud gaming sends: Chromium then renders every frame as soon as it is decoded
/// instead of holding it for its jitter estimate. A receiver keeps the last value it saw, and
/// libwebrtc reads it from a frame's first packet, so that packet is where a sender stamps it.
public struct PlayoutDelay: Sendable, Equatable {
    public static let uri = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
    /// The largest value 12 bits of 10 ms carry.
    public static let maxMs = 4095 * 10
    /// Render at once: no jitter-buffer delay.
    public static let immediate = PlayoutDelay(minMs: 0, maxMs: 0)

    public let minMs: Int
    public let maxMs: Int

    /// Bounds in ms, clamped to 0–40 950 and rounded down to 10 ms; max is at least min.
    public init(minMs: Int, maxMs: Int) {
        let low = min(max(minMs, 0), Self.maxMs) / 10 * 10
        self.minMs = low
        self.maxMs = max(low, min(max(maxMs, 0), Self.maxMs) / 10 * 10)
    }

    /// The element's 3 bytes: MIN (12 bits) then MAX (12 bits), big-endian.
    public var data: [UInt8] {
        let lo = UInt16(minMs / 10), hi = UInt16(maxMs / 10)
        return [UInt8(lo >> 4), UInt8(truncatingIfNeeded: lo << 4) | UInt8(hi >> 8), UInt8(truncatingIfNeeded: hi)]
    }

    /// nil unless exactly 3 bytes.
    public init?(data: [UInt8]) {
        guard data.count == 3 else { return nil }
        let lo = Int(data[0]) << 4 | Int(data[1]) >> 4
        let hi = Int(data[1] & 0x0F) << 8 | Int(data[2])
        self.minMs = lo * 10
        self.maxMs = hi * 10
    }

    /// The header extension element with the id both sides agreed on.
    public func element(id: UInt8) -> RTPHeaderExtension {
        RTPHeaderExtension(id: id, data: data)
    }
}
