import LatencyProbe
import Testing

/// Percentiles from the histogram against the same samples sorted (the arrays it replaced).
@Suite struct LatencyHistogramTests {
    /// The value at 0-based rank ⌊q·n⌋, as the sorted arrays computed it.
    static func exact(_ sorted: [Int64], _ q: Double) -> Int64 {
        sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.down)))]
    }

    static let quantiles = [0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1]

    /// 3 significant digits: within 0.1 % of the exact value (1 µs below 2 ms).
    static func expectClose(_ samples: [Int64], _ h: LatencyHistogram, sourceLocation: SourceLocation = #_sourceLocation) {
        let sorted = samples.sorted()
        for q in quantiles {
            let want = exact(sorted, q), got = h.micros(atQuantile: q)
            let tolerance = max(1, Double(want.magnitude) / 1000)
            #expect(Double((got - want).magnitude) <= tolerance, "q \(q): \(got) µs, exact \(want) µs", sourceLocation: sourceLocation)
        }
        #expect(h.count == samples.count, sourceLocation: sourceLocation)
        #expect(h.minMicros == sorted.first && h.maxMicros == sorted.last, sourceLocation: sourceLocation)
    }

    @Test func valuesBelowTwoMillisecondsAreExact() {
        var h = LatencyHistogram()
        for v in 1...1000 { h.record(micros: Int64(v)) }
        #expect(h.micros(atQuantile: 0.5) == 501)
        #expect(h.micros(atQuantile: 0.9) == 901)
        #expect(h.micros(atQuantile: 0.99) == 991)
        #expect(h.micros(atQuantile: 1) == 1000)
        #expect(h.micros(atQuantile: 0) == 1)
    }

    @Test func uniformMillisecondsToThreeDigits() {
        let samples = (1...100_000).map { Int64($0) * 7 } // up to 700 ms
        var h = LatencyHistogram()
        for v in samples { h.record(micros: v) }
        Self.expectClose(samples, h)
    }

    @Test func aLongTailedDistribution() {
        // Deterministic: half below 16 ms, a tail to 16 s.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let samples = (0..<50_000).map { _ in Int64(2000 / max(1.25e-4, pow3(next()))) }
        var h = LatencyHistogram()
        for v in samples { h.record(micros: v) }
        Self.expectClose(samples, h)
    }

    @Test func negativeValuesAreKeptNotClamped() {
        // Clock skew: some parts "arrive" before their PDT end.
        let samples = (-3000...6999).map { Int64($0) * 13 }
        var h = LatencyHistogram()
        for v in samples.reversed() { h.record(micros: v) }
        #expect(h.negativeCount == 3000)
        Self.expectClose(samples, h)
        #expect(h.micros(atQuantile: 0.3) == 0)
        #expect(h.micros(atQuantile: 0) == -39_000)
    }

    @Test func mergedEqualsRecordedTogether() {
        var a = LatencyHistogram(), b = LatencyHistogram(), all = LatencyHistogram()
        for v in stride(from: -50_000, to: 900_000, by: 97) {
            if v % 2 == 0 { a.record(micros: Int64(v)) } else { b.record(micros: Int64(v)) }
            all.record(micros: Int64(v))
        }
        var merged = a
        merged.merge(b)
        #expect(merged == all)
        merged.merge(LatencyHistogram())
        #expect(merged == all)
    }

    @Test func mergingWidensTheRange() {
        var small = LatencyHistogram(), wide = LatencyHistogram()
        small.record(micros: 3)
        wide.record(micros: 4_000_000_000)
        wide.record(micros: -70_000)
        small.merge(wide)
        #expect(small.count == 3 && small.negativeCount == 1)
        #expect(small.micros(atQuantile: 0) == -70_000 && small.micros(atQuantile: 0.5) == 3)
        #expect(small.micros(atQuantile: 1) == 4_000_000_000)
    }

    @Test func memoryDoesNotGrowWithTheNumberOfSamples() {
        var few = LatencyHistogram(), many = LatencyHistogram()
        for v in 0..<1000 { few.record(micros: Int64(v) * 1000) }
        for v in 0..<2_000_000 { many.record(micros: Int64(v % 1000) * 1000) }
        #expect(many.count == 2_000_000)
        #expect(many.estimatedFootprintBytes == few.estimatedFootprintBytes)
        #expect(many.estimatedFootprintBytes < 256 << 10)
    }

    @Test func unitsAndEmptiness() {
        var h = LatencyHistogram()
        #expect(h.isEmpty && h.micros(atQuantile: 0.5) == 0 && h.milliseconds(atQuantile: 0.99) == 0)
        h.record(seconds: 0.0015)
        h.record(milliseconds: 2.5)
        #expect(h.minMicros == 1500 && h.maxMicros == 2500)
        #expect(h.milliseconds(atQuantile: 0) == 1.5 && h.maxMilliseconds == 2.5)
        h.record(seconds: .infinity) // a broken clock reading is counted, not a crash
        #expect(h.count == 3)
    }
}

private func pow3(_ x: Double) -> Double { x * x * x }
