import Bitstream

/// Writes RBSP bits (u(n), ue(v)) to craft parameter sets field by field.
struct BitWriter {
    private(set) var bits: [UInt8] = []

    mutating func u(_ n: Int, _ v: UInt64) {
        for i in stride(from: n - 1, through: 0, by: -1) { bits.append(UInt8((v >> UInt64(i)) & 1)) }
    }

    mutating func ue(_ v: UInt64) {
        let code = v + 1
        let n = 64 - code.leadingZeroBitCount
        u(n - 1, 0)
        u(n, code)
    }

    /// The RBSP with its stop bit, emulation prevention added, after `header`.
    func nal(header: [UInt8]) -> [UInt8] {
        var b = bits + [1]
        while b.count % 8 != 0 { b.append(0) }
        let bytes = stride(from: 0, to: b.count, by: 8).map { i in b[i..<i + 8].reduce(UInt8(0)) { $0 << 1 | $1 } }
        return header + EmulationPrevention.add(bytes)
    }
}
