import LinkShaper
import Testing

@Suite struct LinkScheduleTests {
    @Test func constantRateIsLinear() {
        let s = LinkSchedule.constant(bitsPerSecond: 2_000_000)
        #expect(s.cumulativeBits(at: 0) == 0)
        #expect(s.cumulativeBits(at: 1.5) == 3_000_000)
        #expect(s.time(whenCumulativeBitsReach: 1_000_000) == 0.5)
        #expect(s.rate(at: 7) == 2_000_000)
    }
}
