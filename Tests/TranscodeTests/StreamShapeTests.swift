import Bitstream
import MediaCore
import StreamHub
import Testing
import Transcode

@Suite struct StreamShapeTests {
    /// The publisher switches from 320×240 to 256×144 (new SPS, new tracks event): the rung
    /// keeps its size and every frame of both parts is encoded and decodable.
    @Test func midStreamResolutionChange() throws {
        let a = try SyntheticMedia.video(width: 320, height: 240, frames: 30)
        let b = try SyntheticMedia.video(width: 256, height: 144, frames: 30, firstFrame: 30)
        #expect(a.track.extradata != b.track.extradata)
        let (out, stats) = runSession(try testConfiguration(ladder: "120p:150k"),
                                      events: events(a.track, a.units) + events(b.track, b.units))
        #expect(stats.framesDecoded == 60)
        let rendition = try #require(out.rendition("120p"))
        let frames = try SyntheticMedia.decode(out.units("120p"), track: rendition.track)
        #expect(frames.count == 60)
        #expect(frames.allSatisfy { $0.width == 160 && $0.height == 120 })
    }

    /// A publisher takeover restarts timestamps at 0: output time keeps increasing, one frame
    /// after the last, and keyframes stay on the GOP grid of the output clock.
    @Test func discontinuityKeepsOutputTimeMonotonic() throws {
        let a = try SyntheticMedia.video(frames: 45)
        let b = try SyntheticMedia.video(frames: 30)
        let (out, stats) = runSession(try testConfiguration(ladder: "120p:150k"),
                                      events: events(a.track, a.units) + [.discontinuity] + events(b.track, b.units))
        #expect(stats.framesDecoded == 75)
        let rung = out.units("120p")
        #expect(rung.count == 75)
        for (x, y) in zip(rung, rung.dropFirst()) { #expect(y.dts > x.dts) }
        let lastOfA = Rational.milliseconds.rescale(a.units.map(\.pts).max()!, to: .mpegTS)
        #expect(rung.map(\.pts).sorted()[45] == lastOfA + 3000) // one frame at 30 fps later
        #expect(rung.filter(\.isKeyframe).allSatisfy { $0.pts % 90000 < 3000 })
    }

    @Test func audioOnlyStream() throws {
        let (track, units) = try SyntheticMedia.aac(seconds: 2)
        var config = try testConfiguration()
        config.audio = [.aac128k, .opus96k]
        let (out, stats) = runSession(config, events: events(track, units))
        #expect(out.names == ["aac", "opus"])
        #expect(stats.rungs.isEmpty)
        let aac = out.units("aac")
        let opus = out.units("opus")
        // 2 s (plus the source encoder's priming and padding, ~2.05 s) at 48 kHz: ~96 AAC
        // frames of 1024, ~102 Opus frames of 960.
        #expect(aac.count >= 88 && aac.count <= 104, "\(aac.count) AAC packets")
        #expect(opus.count >= 95 && opus.count <= 110, "\(opus.count) Opus packets")
        #expect(Array(try #require(out.rendition("opus")?.track.extradata).readableBytesView.prefix(8)) == Array("OpusHead".utf8))
        #expect(try #require(out.rendition("aac")?.track.extradata).readableBytes >= 2)
        for (a, b) in zip(opus, opus.dropFirst()) { #expect(b.pts - a.pts == 960) }
        #expect(out.hasEnded("aac") && out.hasEnded("opus"))
        // Each output packet carries the wall clock of the source audio it came from.
        let sourceClocks = Set(units.map(\.ingestWallClock))
        for rendition in [aac, opus] {
            #expect(rendition.allSatisfy { sourceClocks.contains($0.ingestWallClock) })
            #expect(zip(rendition, rendition.dropFirst()).allSatisfy { $0.ingestWallClock <= $1.ingestWallClock })
            #expect(Set(rendition.map(\.ingestWallClock)).count > 50)
        }
        // The AAC rendition decodes back to audio.
        let decoded = try SyntheticMedia.decode(aac, track: try #require(out.rendition("aac")).track)
        #expect(decoded.reduce(0) { $0 + $1.sampleCount } >= 85 * 1024)
    }

    @Test func videoOnlyStreamWithAudioConfigured() throws {
        let (track, units) = try SyntheticMedia.video(frames: 20)
        var config = try testConfiguration(ladder: "120p:150k")
        config.audio = [.aac128k]
        config.passthroughSource = true
        let (out, _) = runSession(config, events: events(track, units))
        #expect(out.names == ["120p", "source"])
        #expect(out.units("120p").count == 20)
        #expect(out.units("source").map(\.pts) == units.map(\.pts)) // passthrough is untouched
    }

    /// The server's path: read a hub stream, publish renditions back into the hub.
    @Test func hubInHubOut() throws {
        let hub = StreamHub()
        let publisher = hub.publish(path: "live/cam")
        let reader = try #require(publisher.stream.subscribe())
        let session = TranscodeSession(configuration: try testConfiguration(ladder: "120p:150k"),
                                       sink: HubRenditionSink(hub: hub, path: "live/cam"))
        session.start(reading: reader)
        let (track, units) = try SyntheticMedia.video(frames: 10)
        publisher.setTracks([track])
        for u in units { publisher.write(u) }
        #expect(waitUntil { hub.stream("live/cam/120p")?.unitsIn == 10 })
        let tracks = try #require(hub.stream("live/cam/120p")).tracks
        #expect(tracks.first?.codec == .h264 && tracks.first?.width == 160)
        publisher.end() // closes the reader: the session drains and ends
        session.waitUntilDone()
        #expect(hub.stream("live/cam/120p") == nil)
    }
}
