/// A timebase or frame rate as FFmpeg and the containers use it: `num/den` seconds per tick.
public struct Rational: Sendable, Hashable, CustomStringConvertible {
    public var num: Int32
    public var den: Int32

    public init(_ num: Int32, _ den: Int32) {
        self.num = num
        self.den = den
    }

    public static let milliseconds = Rational(1, 1000)
    public static let microseconds = Rational(1, 1_000_000)
    public static let mpegTS = Rational(1, 90000)

    public var seconds: Double { den == 0 ? 0 : Double(num) / Double(den) }
    public var description: String { "\(num)/\(den)" }

    /// Rescales `value` from `self` to `target` rounding to nearest, as av_rescale_q does,
    /// without overflow for any timestamp a live stream can reach.
    public func rescale(_ value: Int64, to target: Rational) -> Int64 {
        if self == target { return value }
        var b = Int64(num) * Int64(target.den)
        var c = Int64(den) * Int64(target.num)
        precondition(c != 0, "rescale to a zero timebase")
        if c < 0 { b = -b; c = -c }
        // 128-bit product so 90 kHz timestamps of long streams cannot overflow.
        let (q, r) = c.dividingFullWidth(value.multipliedFullWidth(by: b))
        if 2 * r.magnitude >= c.magnitude { return q + (r < 0 ? -1 : 1) } // half away from zero
        return q
    }
}
