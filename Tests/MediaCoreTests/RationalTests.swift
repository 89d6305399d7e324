import MediaCore
import Testing

@Suite struct RationalTests {
    @Test func rescalesMillisecondsTo90kHz() {
        #expect(Rational.milliseconds.rescale(1000, to: .mpegTS) == 90000)
        #expect(Rational.mpegTS.rescale(3003, to: .milliseconds) == 33) // 33.37 -> 33
        #expect(Rational.mpegTS.rescale(-3003, to: .milliseconds) == -33)
    }

    @Test func roundsHalfAwayFromZeroLikeAVRescaleQ() {
        #expect(Rational(1, 2).rescale(1, to: Rational(1, 1)) == 1)   // 0.5 -> 1
        #expect(Rational(1, 2).rescale(-1, to: Rational(1, 1)) == -1) // -0.5 -> -1
    }

    @Test func doesNotOverflowForLongStreams() {
        // 30 days at 90 kHz into nanoseconds would overflow a naive 64-bit multiply.
        let ticks: Int64 = 90000 * 86400 * 30
        #expect(Rational.mpegTS.rescale(ticks, to: Rational(1, 1_000_000_000)) == 86400 * 30 * 1_000_000_000)
    }
}
