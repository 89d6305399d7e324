/// The latency probe's stamp: a user_data_unregistered SEI with Sluice's UUID followed by the
/// wall clock (µs since the Unix epoch, big-endian 64-bit) when the source frame was stamped.
public struct LatencyStamp: Sendable, Equatable {
    public var wallClockMicros: Int64

    /// Sluice's UUID for latency stamps (random, fixed forever).
    public static let uuid: [UInt8] = [
        0x9C, 0x3E, 0x5A, 0x71, 0x2B, 0xD4, 0x4F, 0x0E, 0xA6, 0x18, 0x53, 0x4C, 0x55, 0x49, 0x43, 0x45,
    ]

    public init(wallClockMicros: Int64) {
        self.wallClockMicros = wallClockMicros
    }

    /// Nil unless `message` is a user_data_unregistered SEI with Sluice's UUID and 8 bytes of clock.
    public init?(_ message: SEIMessage) {
        guard message.uuid == Self.uuid, message.payload.count >= 24 else { return nil }
        var v: UInt64 = 0
        for b in message.payload[16..<24] { v = v << 8 | UInt64(b) }
        wallClockMicros = Int64(bitPattern: v)
    }

    public var message: SEIMessage {
        let v = UInt64(bitPattern: wallClockMicros)
        let clock = (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) }
        return SEIMessage(payloadType: SEIMessage.userDataUnregistered, payload: Self.uuid + clock)
    }

    /// The first stamp in a length-prefixed access unit, if any.
    public static func find(inLengthPrefixed bytes: some Collection<UInt8>, hevc: Bool = false) -> LatencyStamp? {
        SEIMessage.userDataUnregistered(inLengthPrefixed: bytes, hevc: hevc).lazy.compactMap(LatencyStamp.init).first
    }
}
