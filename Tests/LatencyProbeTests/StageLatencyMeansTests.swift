import Testing
@testable import LatencyProbe

@Suite struct StageLatencyMeansTests {
    static func scrape(published: (Double, Double), encoded: (Double, Double)) -> String {
        """
        # TYPE sluice_stage_latency_seconds histogram
        sluice_stage_latency_seconds_bucket{path="live/g2g",rendition="720p",stage="published",le="0.5"} 3
        sluice_stage_latency_seconds_sum{path="live/g2g",rendition="720p",stage="published"} \(published.0)
        sluice_stage_latency_seconds_count{path="live/g2g",rendition="720p",stage="published"} \(published.1)
        sluice_stage_latency_seconds_sum{path="live/g2g",rendition="720p",stage="encoded"} \(encoded.0)
        sluice_stage_latency_seconds_count{path="live/g2g",rendition="720p",stage="encoded"} \(encoded.1)
        sluice_stage_latency_seconds_sum{path="live/g2g",rendition="360p",stage="encoded"} 99
        sluice_stage_latency_seconds_count{path="live/g2g",rendition="360p",stage="encoded"} 1
        sluice_stage_latency_seconds_sum{path="live/other",rendition="720p",stage="encoded"} 99
        sluice_stage_latency_seconds_count{path="live/other",rendition="720p",stage="encoded"} 1
        """
    }

    @Test func meansCoverOnlyWhatTheSecondScrapeAdded() {
        let before = StageLatencyMeans(metrics: Self.scrape(published: (10, 100), encoded: (2, 400)), path: "live/g2g", rendition: "720p")
        let after = StageLatencyMeans(metrics: Self.scrape(published: (40, 200), encoded: (6, 800)), path: "live/g2g", rendition: "720p")
        let means = before.meansMs(until: after)
        #expect(means.count == 2)
        #expect(abs((means["published"] ?? 0) - 300) < 1e-9) // 30 s over 100 parts
        #expect(abs((means["encoded"] ?? 0) - 10) < 1e-9)    // 4 s over 400 frames
    }

    @Test func aStageWithNothingNewHasNoMean() {
        let s = StageLatencyMeans(metrics: Self.scrape(published: (10, 100), encoded: (2, 400)), path: "live/g2g", rendition: "720p")
        #expect(s.meansMs(until: s).isEmpty)
        #expect(StageLatencyMeans(metrics: "garbage{\nsluice_stage_latency_seconds_sum{x} nan", path: "a", rendition: "b").totals.isEmpty)
    }

    static func buckets(_ counts: [(String, Double)]) -> String {
        counts.map { "sluice_stage_latency_seconds_bucket{path=\"live/g2g\",rendition=\"720p\",stage=\"encoded\",le=\"\($0.0)\"} \($0.1)" }
            .joined(separator: "\n")
    }

    @Test func quantilesInterpolateInsideTheBucketOfTheDifference() {
        let before = StageLatencyMeans(metrics: Self.buckets([("0.01", 5), ("0.05", 10), ("0.1", 10), ("+Inf", 10)]),
                                       path: "live/g2g", rendition: "720p")
        // 100 new: 0 below 10 ms, 80 in 10–50 ms, 20 in 50–100 ms.
        let after = StageLatencyMeans(metrics: Self.buckets([("0.01", 5), ("0.05", 90), ("0.1", 110), ("+Inf", 110)]),
                                      path: "live/g2g", rendition: "720p")
        let p50 = before.quantileMs(0.5, until: after)["encoded"] ?? 0
        let p95 = before.quantileMs(0.95, until: after)["encoded"] ?? 0
        #expect(abs(p50 - 35) < 1e-6)  // rank 50: 50/80 of the way through 10–50 ms
        #expect(abs(p95 - 87.5) < 1e-6) // rank 95: 15/20 of the way through 50–100 ms
    }

    @Test func aQuantileBeyondTheLastBoundIsTheLastBound() {
        let after = StageLatencyMeans(metrics: Self.buckets([("0.01", 1), ("0.05", 1), ("+Inf", 10)]),
                                      path: "live/g2g", rendition: "720p")
        let none = StageLatencyMeans(totals: [:])
        #expect(none.quantileMs(0.95, until: after)["encoded"] == 50)
        #expect(none.quantileMs(0.95, until: none).isEmpty)
    }
}
