import Foundation
import LinkShaper
import Testing

func close(_ a: Double, _ b: Double, within tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance }

@Suite struct LinkScheduleTests {
    @Test func constantRateIsLinear() {
        let s = LinkSchedule.constant(bitsPerSecond: 2_000_000)
        #expect(s.cumulativeBits(at: 0) == 0)
        #expect(s.cumulativeBits(at: 1.5) == 3_000_000)
        #expect(s.time(whenCumulativeBitsReach: 1_000_000) == 0.5)
        #expect(s.rate(at: 7) == 2_000_000)
    }

    /// `time_s Mbps`: each rate until the next line; the last for the interval before it; looped.
    @Test func timeRateTraceIsAStepScheduleThatLoops() throws {
        let s = try LinkSchedule.parse(trace: "0.0\t1\n1.0\t2\n2.0 0.5\n")
        #expect(s.period == 3)
        #expect(s.cumulativeBits(at: 1.5) == 2_000_000)
        #expect(s.cumulativeBits(at: 3) == 3_500_000)
        #expect(s.cumulativeBits(at: 4) == 4_500_000)
        #expect(s.rate(at: 1.2) == 2_000_000)
        #expect(s.rate(at: 2.9) == 500_000)
        #expect(s.rate(at: 3.5) == 1_000_000)
        #expect(close(s.time(whenCumulativeBitsReach: 3_250_000), 2.5))
        #expect(close(s.time(whenCumulativeBitsReach: 4_000_000), 3.5))
    }

    /// Mahimahi: one 1500-byte packet per timestamp, repeats are several packets, the last
    /// timestamp is the period.
    @Test func mahimahiOpportunitiesCountRepeatsAndLoop() throws {
        let s = try LinkSchedule.parse(trace: "1\n1\n3\n4\n")
        let packet = 1500.0 * 8
        #expect(s.period == 0.004)
        #expect(s.cumulativeBits(at: 0.0005) == 0)
        #expect(s.cumulativeBits(at: 0.001) == 2 * packet)
        #expect(s.cumulativeBits(at: 0.0035) == 3 * packet)
        #expect(s.cumulativeBits(at: 0.005) == 6 * packet)
        #expect(s.time(whenCumulativeBitsReach: 2 * packet) == 0.001)
        #expect(s.time(whenCumulativeBitsReach: 2 * packet + 1) == 0.003)
        #expect(s.time(whenCumulativeBitsReach: 5 * packet) == 0.005)
        #expect(s.time(whenCumulativeBitsReach: 8 * packet) == 0.008)
        #expect(s.rate(at: 0) == 250 * 4 * packet)
    }

    @Test func rfc8867ProfileIsAStepSchedule() throws {
        let json = #"{"source": "x", "steps_kbps_seconds": [[1000, 40], [2500, 20], [600, 20], [1000, 20]], "burst_kbit": 160}"#
        let s = try LinkSchedule.parse(trace: json)
        #expect(s.period == 100)
        #expect(s.rate(at: 39.9) == 1_000_000)
        #expect(s.rate(at: 45) == 2_500_000)
        #expect(s.rate(at: 65) == 600_000)
        #expect(s.rate(at: 99) == 1_000_000)
        #expect(s.rate(at: 150) == 2_500_000)
        #expect(s.cumulativeBits(at: 100) == 122_000_000)
    }

    @Test func aZeroRateStepIsSkippedByTheInverse() throws {
        let s = try #require(LinkSchedule.steps([(1_000_000, 1), (0, 2), (1_000_000, 1)]))
        #expect(s.time(whenCumulativeBitsReach: 1_000_000) == 1)
        #expect(close(s.time(whenCumulativeBitsReach: 1_500_000), 3.5))
        #expect(close(s.time(whenCumulativeBitsReach: 2_500_000), 4.5))
    }

    @Test(arguments: [
        ("", "the trace is empty"),
        ("  \n# only a comment\n", "no samples"),
        ("0 1\nfoo 2\n", "line 2: expected \"time_s Mbps\""),
        ("0 1\n1 -2\n", "line 2: expected \"time_s Mbps\" with non-negative numbers"),
        ("0 1\n0 2\n", "line 2: time 0.0 s does not advance"),
        ("0 0\n1 0\n", "no capacity"),
        ("5\n3\n", "line 2: timestamp 3 ms goes back in time"),
        ("1\nx\n", "line 2: expected one millisecond timestamp"),
        ("0\n0\n", "last timestamp above 0"),
        ("{\"steps\": []}", "steps_kbps_seconds"),
        ("{\"steps_kbps_seconds\": [[100, 0]]}", "steps_kbps_seconds[0]"),
        ("{not json", "not valid JSON"),
    ])
    func badTracesAreRefusedWithTheLine(text: String, message: String) {
        #expect {
            try LinkSchedule.parse(trace: text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    /// The measured uplink traces of ../shared/data, where they are on this machine.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/work/shared/data/uplink/ATT-LTE-driving-2016.up")))
    func sharedUplinkTraceHasItsDocumentedMean() throws {
        let text = try String(contentsOfFile: "/work/shared/data/uplink/ATT-LTE-driving-2016.up", encoding: .utf8)
        let s = try LinkSchedule.parse(trace: text)
        #expect(abs(s.meanBitsPerSecond / 1e6 - 1.91) < 0.01, "mean \(s.meanBitsPerSecond)")
    }
}
