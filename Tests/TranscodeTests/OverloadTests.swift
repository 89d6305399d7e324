import Dispatch
import MediaCore
import Synchronization
import Testing
import Transcode

@Suite struct OverloadTests {
    /// A rung whose output is stuck: ingest keeps going, the rung's queue never exceeds its
    /// capacity, the rung loses frames (counted), and the frames it keeps still have their
    /// keyframes on GOP boundaries.
    @Test func stalledRungDropsInsteadOfGrowing() throws {
        let (track, units) = try SyntheticMedia.video(frames: 150)
        var config = try testConfiguration(ladder: "120p:150k")
        config.overload = .dropFrames
        config.rungQueueCapacity = 4
        let gate = DispatchSemaphore(value: 0)
        let stalled = Atomic<Bool>(false)
        let collector = RenditionCollector { _, rendition in
            if rendition == "120p", !stalled.exchange(true, ordering: .relaxed) { gate.wait() }
        }
        let session = TranscodeSession(configuration: config, sink: collector)
        session.start()
        for e in events(track, units) { session.push(e) } // returns at once: never blocks
        #expect(waitUntil { session.stats.framesDecoded == 150 })
        gate.signal()
        session.finish()

        let stats = session.stats
        let slow = try #require(stats.rung("120p"))
        #expect(slow.framesDropped > 0)
        #expect(slow.maxQueueDepth <= 4)
        #expect(slow.framesEncoded + slow.framesDropped == 150)
        #expect(collector.units("120p").count == slow.framesEncoded)
        let keys = collector.units("120p").filter(\.isKeyframe).map(\.pts)
        #expect(!keys.isEmpty)
        #expect(keys.allSatisfy { $0 % 90000 == 0 })
    }

    /// A live session that fell behind ingest skips stale video up to a fresh keyframe
    /// instead of adding latency.
    @Test func staleInputIsSkippedToAFreshKeyframe() throws {
        let (track, units) = try SyntheticMedia.video(frames: 60, keyint: 30)
        let now = WallClock.nowMicros()
        let stamped = units.enumerated().map { i, unit -> MediaUnit in
            var u = unit
            // First GOP: ingested 5 s ago. Second GOP: stamped ahead, so always fresh.
            u.ingestWallClock = i < 30 ? now - 5_000_000 : now + 10_000_000
            return u
        }
        #expect(stamped[30].isKeyframe)
        var config = try testConfiguration(ladder: "120p:150k")
        config.overload = .dropFrames
        config.rungQueueCapacity = 64
        config.maxInputLag = 1
        let (out, stats) = runSession(config, events: events(track, stamped))
        #expect(stats.videoUnitsSkippedLate == 30)
        #expect(stats.framesDecoded == 30)
        #expect(out.units("120p").count == 30)
        #expect(out.units("120p").first?.isKeyframe == true)
    }
}

