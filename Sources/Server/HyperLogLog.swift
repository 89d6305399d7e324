import Foundation

/// A HyperLogLog cardinality sketch (Flajolet et al. 2007, with the small-range linear-counting
/// correction): 2^precision one-byte registers, a relative standard error of about
/// 1.04 / sqrt(2^precision) (0.8 % at the default 14, in 16 KiB), however many items are added.
struct HyperLogLog: Sendable {
    let precision: Int
    private var registers: [UInt8]

    init(precision: Int = 14) {
        self.precision = min(max(precision, 4), 18)
        registers = [UInt8](repeating: 0, count: 1 << self.precision)
    }

    /// Adds an item given by a 64-bit hash (mixed again here, so any well-spread key will do).
    mutating func add(_ hash: UInt64) {
        let x = Self.mix(hash)
        let index = Int(x >> UInt64(64 - precision))
        let rest = x << UInt64(precision)
        // Rank of the first 1 bit in the remaining bits (1-based); all zero: the maximum.
        let rank = UInt8(min(rest.leadingZeroBitCount, 64 - precision) + 1)
        if rank > registers[index] { registers[index] = rank }
    }

    /// The estimated number of distinct items added.
    var estimate: Double {
        let m = Double(registers.count)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m && zeros > 0 { return m * log(m / Double(zeros)) } // linear counting
        return raw
    }

    /// splitmix64's finalizer: spreads the bits of a weak hash.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a over `bytes`, a stable 64-bit key for a viewer's identity (unlike `Hasher`, the
    /// same in every process).
    static func key<S: Sequence>(_ bytes: S, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 where S.Element == UInt8 {
        var h = seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}

private func log(_ x: Double) -> Double { Foundation.log(x) }
