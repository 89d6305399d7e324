import MediaCore
import Testing
import Transcode

@Suite struct BitrateChangeTests {
    /// 1500 kb/s for two seconds, then 200 kb/s: the two seconds after the change carry far
    /// fewer bits than the two before (x264_encoder_reconfig through libavcodec works).
    @Test func lowerBitrateTakesEffectWithinTwoSeconds() throws {
        let (track, units) = try SyntheticMedia.video(frames: 150, keyint: 300, bitrate: 4_000_000)
        var config = try testConfiguration(ladder: "240p:1500k")
        config.gopSeconds = 10
        let changeAt = 60 // frame index: 2 s
        let (out, stats) = runSession(config, events: events(track, units)) { i, session in
            // Event i + 1 is unit i: switch once the rung has encoded the first two seconds.
            guard i == changeAt + 1 else { return }
            #expect(waitUntil { (session.stats.rung("240p")?.framesEncoded ?? 0) >= changeAt })
            session.setBitrate(200_000, rung: "240p")
        }
        let rung = out.units("240p")
        func kbps(from: Double, to: Double) -> Double {
            let bytes = rung.filter { $0.ptsSeconds >= from && $0.ptsSeconds < to }.reduce(0) { $0 + $1.data.readableBytes }
            return Double(bytes) * 8 / (to - from) / 1000
        }
        let before = kbps(from: 0.5, to: 2)
        let after = kbps(from: 2, to: 4)
        print("bitrate change 1500k -> 200k: \(Int(before)) kb/s before, \(Int(after)) kb/s in the 2 s after, \(Int(kbps(from: 3, to: 5))) kb/s 1-3 s after")
        #expect(before > 1000)
        #expect(after < before * 0.5, "before \(before) kb/s, after \(after) kb/s")
        #expect(stats.rung("240p")?.bitrate == 200_000)
    }
}
