import Bitstream
import Testing
@testable import LatencyProbe

@Suite struct StampScannerTests {
    @Test func findsStampsInLengthPrefixedAccessUnitsAndAnnexB() {
        let a = LatencyStamp(wallClockMicros: 1_763_000_000_123_456)
        let b = LatencyStamp(wallClockMicros: 1_763_000_000_223_456)
        let slice: [UInt8] = [0x41, 0x9A, 0x02, 0x11]
        let avcc = NALUnits.joinLengthPrefixed([a.message.nal()[...], slice[...]])
        let annexB = [0, 0, 0, 1] + b.message.nal() + [0, 0, 1] + slice
        #expect(StampScanner.stamps(in: [0xAA, 0xBB] + avcc + annexB) == [a.wallClockMicros, b.wallClockMicros])
    }

    @Test func readsThroughEmulationPreventionBytes() {
        // A clock with 00 00 0x inside: the SEI writer escapes it, the scanner unescapes it.
        let stamp = LatencyStamp(wallClockMicros: 0x0006_0000_0102_0000)
        let nal = stamp.message.nal()
        #expect(nal.count > 2 + 1 + 1 + 24) // an escape byte went in
        #expect(StampScanner.stamps(in: nal) == [stamp.wallClockMicros])
    }

    @Test func ignoresTruncatedStampsAndOtherBytes() {
        let nal = LatencyStamp(wallClockMicros: 42).message.nal()
        #expect(StampScanner.stamps(in: nal.prefix(20)) == [])
        #expect(StampScanner.stamps(in: [UInt8](repeating: 0, count: 100)) == [])
    }
}

@Suite struct LatencyReportTests {
    @Test func percentilesOfKnownSamples() throws {
        let r = try #require(LatencyReport((1...100).map(Double.init)))
        #expect(r.count == 100 && r.minMs == 1 && r.maxMs == 100)
        // Histogram buckets: 3 significant digits (max is exact).
        #expect(abs(r.p50Ms - 51) <= 0.051 && abs(r.p90Ms - 91) <= 0.091 && r.p99Ms == 100)
        #expect(abs(r.p95Ms - 96) <= 0.096)
        #expect(LatencyReport([]) == nil)
        // Rising delays of 1 ms per frame never outrun a 500 ms jitter buffer.
        #expect(r.stalls?.count == 0)
    }

    @Test func playoutStallsByHand() {
        // Playout delay starts at 300 + 500 = 800 ms. 900 arrives late: a 0.1 s stall, playout
        // now 900. 850 is in time; 2000 stalls 1.1 s; NaN is ignored.
        let s = PlayoutStalls([300, 700, 900, 850, 2000, .nan, 1500], jitterBufferMs: 500)
        #expect(s.count == 2)
        #expect(abs(s.seconds - 1.2) < 1e-9)
        #expect(s.finalDelayMs == 2000)
        #expect(PlayoutStalls([], jitterBufferMs: 500) == PlayoutStalls(jitterBufferMs: 500))
    }
}

@Suite struct PlaylistCursorTests {
    @Test func listsPartsWithTheirSequenceNumbers() {
        let playlist = """
        #EXTM3U
        #EXT-X-MEDIA-SEQUENCE:7
        #EXT-X-PART:DURATION=0.2,URI="part1.m4s",INDEPENDENT=YES
        #EXT-X-PART:DURATION=0.2,URI="part2.m4s"
        #EXTINF:0.4,
        seg7.m4s
        #EXT-X-PART:DURATION=0.2,URI="part3.m4s",INDEPENDENT=YES
        #EXT-X-PRELOAD-HINT:TYPE=PART,URI="part4.m4s"
        """
        let parts = HLSLatencyReader.listed(playlist)
        #expect(parts.map(\.uri) == ["part1.m4s", "part2.m4s", "part3.m4s"])
        #expect(parts.map(\.msn) == [7, 7, 8])
        #expect(parts.map(\.part) == [0, 1, 0])
    }

    @Test func plainHLSSegmentsCountAsWholeParts() {
        let parts = HLSLatencyReader.listed("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:3\n#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts\n")
        #expect(parts.map(\.uri) == ["a.ts", "b.ts"] && parts.map(\.msn) == [3, 4])
    }

    @Test func picksAVariantByName() {
        let mv = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,NAME=\"source\"\nsource/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1,NAME=\"240p\"\n240p/index.m3u8\n"
        #expect(HLSLatencyReader.variant(mv, named: "240p") == "240p/index.m3u8")
        #expect(HLSLatencyReader.variant(mv, named: nil) == "source/index.m3u8")
        #expect(HLSLatencyReader.variant(mv, named: "1080p") == nil)
    }
}
