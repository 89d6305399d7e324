import NIOCore

/// The 24-bit big-endian fields RTMP and FLV use for lengths, timestamps and composition times.
extension ByteBuffer {
    mutating func readUInt24() -> UInt32? {
        guard readableBytes >= 3 else { return nil }
        let hi = readInteger(as: UInt8.self)!
        let lo = readInteger(as: UInt16.self)!
        return UInt32(hi) << 16 | UInt32(lo)
    }

    mutating func writeUInt24(_ value: UInt32) {
        writeInteger(UInt8(truncatingIfNeeded: value >> 16))
        writeInteger(UInt8(truncatingIfNeeded: value >> 8))
        writeInteger(UInt8(truncatingIfNeeded: value))
    }

    mutating func readInt24() -> Int32? {
        guard let u = readUInt24() else { return nil }
        return Int32(bitPattern: u << 8) >> 8
    }

    mutating func writeInt24(_ v: Int32) {
        writeUInt24(UInt32(bitPattern: v) & 0xFFFFFF)
    }
}
