/// Reads bits MSB-first, with Exp-Golomb codes, from an RBSP (emulation prevention removed).
/// Codes are at most 32 bits: longer ones cannot be valid in any field Sluice reads.
public struct BitReader: Sendable {
    private let bytes: [UInt8]
    private var bit = 0
    /// Names what is being read, for errors ("H.264 SPS").
    private let context: String

    public init(rbsp: [UInt8], context: String) {
        bytes = rbsp
        self.context = context
    }

    /// From a NAL unit payload (after its header): removes emulation-prevention bytes.
    public init(nalPayload: some Collection<UInt8>, context: String) {
        self.init(rbsp: EmulationPrevention.remove(nalPayload), context: context)
    }

    public var bitsLeft: Int { bytes.count * 8 - bit }

    /// `n` bits (0...32) as an unsigned value.
    public mutating func u(_ n: Int) throws(BitstreamError) -> UInt32 {
        precondition((0...32).contains(n), "BitReader.u: \(n) bits") // a programming error, never input
        guard n <= bitsLeft else { throw .truncated(context) }
        var v: UInt64 = 0
        for _ in 0..<n {
            v = v << 1 | UInt64((bytes[bit >> 3] >> (7 - UInt8(bit & 7))) & 1)
            bit += 1
        }
        return UInt32(truncatingIfNeeded: v)
    }

    public mutating func flag() throws(BitstreamError) -> Bool { try u(1) == 1 }

    public mutating func skip(_ n: Int) throws(BitstreamError) {
        guard n >= 0, n <= bitsLeft else { throw .truncated(context) }
        bit += n
    }

    /// ue(v), 0 ... 2^32 − 2.
    public mutating func ue() throws(BitstreamError) -> UInt32 {
        var zeros = 0
        while try u(1) == 0 {
            zeros += 1
            guard zeros < 32 else { throw .invalid("\(context): Exp-Golomb code longer than 32 bits") }
        }
        return UInt32(truncatingIfNeeded: (UInt64(1) << zeros) - 1 + UInt64(try u(zeros)))
    }

    /// ue(v) that must lie in `allowed`; the error names `field`.
    public mutating func ue(_ field: String, _ allowed: ClosedRange<Int64>) throws(BitstreamError) -> Int {
        let v = Int64(try ue())
        guard allowed.contains(v) else { throw .outOfRange(field: "\(context) \(field)", value: v, allowed: allowed) }
        return Int(v)
    }

    /// se(v), −(2^31 − 1) ... 2^31 − 1.
    public mutating func se() throws(BitstreamError) -> Int32 {
        let k = try ue()
        return k & 1 == 1 ? Int32(truncatingIfNeeded: (Int64(k) + 1) / 2) : -Int32(truncatingIfNeeded: Int64(k) / 2)
    }

    /// se(v) that must lie in `allowed`.
    public mutating func se(_ field: String, _ allowed: ClosedRange<Int64>) throws(BitstreamError) -> Int {
        let v = Int64(try se())
        guard allowed.contains(v) else { throw .outOfRange(field: "\(context) \(field)", value: v, allowed: allowed) }
        return Int(v)
    }
}
