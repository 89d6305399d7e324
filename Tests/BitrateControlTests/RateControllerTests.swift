import BitrateControl
import Testing

@Suite struct RateControllerTests {
    @Test func fixedHoldsTheStartRate() {
        var c = RateController(policy: .fixed, minKbps: 300, maxKbps: 3000, startKbps: 2000)
        let d = c.update(LinkSample(time: 0, rttMs: 40, queuedBytes: 500_000), now: 0)
        #expect(d == RateDecision(bitrateKbps: 2000, step: .full, dropToKeyframe: false))
    }
}
