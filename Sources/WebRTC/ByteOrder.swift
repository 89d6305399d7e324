// Big-endian reads and writes shared by the wire formats of this module. Reads are only
// called after the caller checked the bounds.

@inline(__always) func readBE16(_ b: [UInt8], _ i: Int) -> UInt16 {
    UInt16(b[i]) << 8 | UInt16(b[i + 1])
}

@inline(__always) func readBE32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
}

@inline(__always) func readBE24(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
}

extension Array where Element == UInt8 {
    @inline(__always) mutating func appendBE16(_ v: UInt16) {
        append(UInt8(v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always) mutating func appendBE32(_ v: UInt32) {
        append(UInt8(v >> 24)); append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always) mutating func appendBE64(_ v: UInt64) {
        appendBE32(UInt32(truncatingIfNeeded: v >> 32)); appendBE32(UInt32(truncatingIfNeeded: v))
    }

    @inline(__always) mutating func writeBE16(_ v: UInt16, at i: Int) {
        self[i] = UInt8(v >> 8); self[i + 1] = UInt8(truncatingIfNeeded: v)
    }
}
