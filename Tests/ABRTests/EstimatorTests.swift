import ABR
import Testing

@Suite struct EstimatorTests {
    @Test func harmonicMeanOfTwoRates() {
        var h = HarmonicMeanEstimator(window: 5)
        h.add(1)
        h.add(3)
        #expect(abs(h.estimate - 1.5) < 1e-12)
    }
}
