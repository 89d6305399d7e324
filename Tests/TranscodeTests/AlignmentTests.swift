import Bitstream
import MediaCore
import Testing
import Transcode

@Suite struct AlignmentTests {
    /// Source keyframes every 45 frames (1.5 s); the ladder's GOP is 1 s: every rung has its
    /// IDRs on the same pts, at each whole second of output time.
    @Test func idrsAlignAcrossRungs() throws {
        let (track, units) = try SyntheticMedia.video(frames: 120, keyint: 45)
        let (out, stats) = runSession(try testConfiguration(), events: events(track, units))
        let names = ["240p", "180p", "120p"]
        var keyPTS: [[Int64]] = []
        for name in names {
            let rendition = try #require(out.rendition(name))
            let units = out.units(name)
            #expect(units.count == 120)
            keyPTS.append(units.filter(\.isKeyframe).map(\.pts))
            // Every unit flagged key is an IDR; no other unit holds one.
            for u in units {
                let nals = try #require(NALUnits.splitLengthPrefixed(u.data.readableBytesView))
                #expect(nals.contains { NALUnits.h264Type($0) == 5 } == u.isKeyframe)
            }
            #expect(rendition.track.timebase == .mpegTS)
        }
        #expect(keyPTS[0] == [0, 90000, 180000, 270000])
        #expect(keyPTS[1] == keyPTS[0])
        #expect(keyPTS[2] == keyPTS[0])
        #expect(stats.rungs.allSatisfy { $0.framesDropped == 0 })
    }

    /// Source timestamps in milliseconds come out in 90 kHz, strictly increasing in decode
    /// order, pts ≥ dts, and the same pts in every rung.
    @Test func timestampsAreMonotonicAfterRescaling() throws {
        let (track, units) = try SyntheticMedia.video(frames: 60)
        let (out, _) = runSession(try testConfiguration(), events: events(track, units))
        let expected = units.map { Rational.milliseconds.rescale($0.pts, to: .mpegTS) }.sorted()
        for name in ["240p", "180p", "120p"] {
            let rung = out.units(name)
            #expect(rung.map(\.pts).sorted() == expected)
            for (a, b) in zip(rung, rung.dropFirst()) { #expect(b.dts > a.dts) }
            for u in rung { #expect(u.pts >= u.dts) }
        }
    }

    @Test func bFrameSourceWorks() throws {
        let (track, units) = try SyntheticMedia.video(frames: 60, bFrames: 2, stampEvery: 7)
        #expect(units.contains { $0.pts != $0.dts }) // the source really reorders
        let (out, _) = runSession(try testConfiguration(ladder: "180p:300k"), events: events(track, units))
        let rung = out.units("180p")
        #expect(rung.map(\.pts).sorted() == units.map { Rational.milliseconds.rescale($0.pts, to: .mpegTS) }.sorted())
        // Stamps follow their frames through the decoder's reordering.
        for u in rung {
            let sourcePTS = Rational.mpegTS.rescale(u.pts, to: .milliseconds)
            let source = try #require(units.first { $0.pts == sourcePTS })
            #expect(LatencyStamp.find(inLengthPrefixed: u.data.readableBytesView) == LatencyStamp.find(inLengthPrefixed: source.data.readableBytesView))
        }
    }

    /// HEVC in (hvcC + length-prefixed), H.264 out, with the HEVC prefix-SEI stamps carried over.
    @Test func hevcSourceWorks() throws {
        let (track, units) = try SyntheticMedia.video(frames: 30, stampEvery: 5, hevc: true)
        let (out, stats) = runSession(try testConfiguration(ladder: "120p:150k"), events: events(track, units))
        #expect(stats.framesDecoded == 30)
        let rung = out.units("120p")
        #expect(rung.count == 30)
        let stamps = rung.compactMap { LatencyStamp.find(inLengthPrefixed: $0.data.readableBytesView) }
        #expect(stamps.map(\.wallClockMicros) == stride(from: 0, to: 30, by: 5).map { SyntheticMedia.stampValue($0) })
    }

    /// A 60 fps source: the rung capped at 30 fps keeps every other frame, the uncapped one
    /// all of them, and both have their IDRs on the same pts.
    @Test func frameRateCapKeepsKeyframesAligned() throws {
        let (track, units) = try SyntheticMedia.video(frames: 120, fps: 60, keyint: 120)
        let (out, _) = runSession(try testConfiguration(ladder: "180p:300k@30,120p:150k"), events: events(track, units))
        let capped = out.units("180p")
        let full = out.units("120p")
        #expect(full.count == 120)
        #expect(capped.count == 60)
        #expect(capped.filter(\.isKeyframe).map(\.pts) == [0, 90000])
        #expect(full.filter(\.isKeyframe).map(\.pts) == [0, 90000])
        #expect(out.rendition("180p")?.track.frameRate == Rational(30000, 1000))
    }
}

