/// Reads bits MSB-first, with Exp-Golomb codes, from an RBSP (emulation prevention removed).
struct BitReader {
    private let bytes: [UInt8]
    private var bit = 0

    init(rbsp: [UInt8]) { bytes = rbsp }

    /// Strips 0x000003 emulation-prevention bytes from a NAL unit payload.
    init(nal: some Collection<UInt8>) {
        var out: [UInt8] = []
        out.reserveCapacity(nal.count)
        var zeros = 0
        for b in nal {
            if zeros >= 2 && b == 3 { zeros = 0; continue }
            zeros = b == 0 ? zeros + 1 : 0
            out.append(b)
        }
        bytes = out
    }

    mutating func u(_ n: Int) throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<n {
            guard bit < bytes.count * 8 else { throw RTMPError.malformedMessage("bitstream truncated") }
            v = v << 1 | UInt32((bytes[bit >> 3] >> (7 - UInt8(bit & 7))) & 1)
            bit += 1
        }
        return v
    }

    mutating func flag() throws -> Bool { try u(1) == 1 }

    mutating func ue() throws -> UInt32 {
        var zeros = 0
        while try u(1) == 0 {
            zeros += 1
            guard zeros < 32 else { throw RTMPError.malformedMessage("bad Exp-Golomb code") }
        }
        return (UInt32(1) << zeros) - 1 + (try u(zeros))
    }

    mutating func se() throws -> Int32 {
        let k = try ue()
        return k & 1 == 1 ? Int32((k + 1) / 2) : -Int32(k / 2)
    }
}
