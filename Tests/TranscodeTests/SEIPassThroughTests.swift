import Bitstream
import MediaCore
import Testing
import Transcode

@Suite struct SEIPassThroughTests {
    /// The probe's stamp on a source frame appears in every rung's unit for that frame, and
    /// each unit keeps its source frame's ingest wall clock.
    @Test func latencyStampReachesEveryRung() throws {
        let (track, units) = try SyntheticMedia.video(frames: 45, stampEvery: 5)
        let (out, _) = runSession(try testConfiguration(), events: events(track, units))
        var stampedSource: [Int64: LatencyStamp] = [:]
        var wallClocks: [Int64: Int64] = [:]
        for u in units {
            let pts = Rational.milliseconds.rescale(u.pts, to: .mpegTS)
            wallClocks[pts] = u.ingestWallClock
            if let s = LatencyStamp.find(inLengthPrefixed: u.data.readableBytesView) { stampedSource[pts] = s }
        }
        #expect(stampedSource.count == 9)
        for name in ["240p", "180p", "120p"] {
            var found: [Int64: LatencyStamp] = [:]
            for u in out.units(name) {
                #expect(u.ingestWallClock == wallClocks[u.pts])
                if let s = LatencyStamp.find(inLengthPrefixed: u.data.readableBytesView) { found[u.pts] = s }
            }
            #expect(found == stampedSource, "rung \(name)")
        }
        // The units still decode (the SEI is well formed and in the right place).
        let rendition = try #require(out.rendition("180p"))
        #expect(try SyntheticMedia.decode(out.units("180p"), track: rendition.track).count == 45)
    }
}
