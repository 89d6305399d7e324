import MediaCore
import Testing
import Transcode

@Suite struct KeyframeRequestTests {
    /// A WebRTC viewer's keyframe request: every rung's next frame is an IDR, between the GOP
    /// boundaries, at the same pts on every rung (they stay aligned).
    @Test func aRequestedKeyframeComesOnEveryRungAtOnce() throws {
        let (track, units) = try SyntheticMedia.video(frames: 60, keyint: 300)
        var config = try testConfiguration(ladder: "240p:500k,120p:150k")
        config.gopSeconds = 10
        let requestAt = 30 // frame index: 1 s, far from the GOP boundary
        let (out, _) = runSession(config, events: events(track, units)) { i, session in
            // Event i + 1 is unit i: ask once the rungs have the first second (the next frame decoded is ≥ 1 s).
            guard i == requestAt + 1 else { return }
            #expect(waitUntil { (session.stats.rung("120p")?.framesEncoded ?? 0) >= requestAt })
            session.requestKeyframe()
        }
        for rung in ["240p", "120p"] {
            let keyframes = out.units(rung).filter(\.isKeyframe).map(\.ptsSeconds)
            #expect(keyframes.count == 2, "\(rung): keyframes at \(keyframes)")
            #expect(keyframes.first == 0)
            #expect((keyframes.last ?? 0) >= 0.9 && (keyframes.last ?? 0) < 2, "\(rung): \(keyframes)")
        }
        #expect(out.units("240p").filter(\.isKeyframe).map(\.pts) == out.units("120p").filter(\.isKeyframe).map(\.pts))
    }
}
