import MediaCore
import NIOCore
import Testing
@testable import StreamHub

/// The send-delay controller driven tick by tick (200 ms) with made-up queue lengths.
@Suite struct SendDelayControllerTests {
    typealias Decision = SendDelayController.Decision
    static let ladder = [4_000_000, 3_000_000, 1_200_000, 700_000] // source, 720p, 480p, 360p

    /// Feeds `queued` (ms) per tick starting at `start`; returns every decision that is not `stay`, with its time.
    static func run(_ c: inout SendDelayController, _ queued: [Int64], start: Int64 = 0) -> [(Int64, Decision)] {
        var out: [(Int64, Decision)] = []
        for (i, q) in queued.enumerated() {
            let now = start + Int64(i) * 200
            let d = c.update(.init(queuedMillis: q, nowMillis: now))
            if d != .stay { out.append((now, d)) }
        }
        return out
    }

    @Test func staysWhileTheQueueIsShort() {
        var c = SendDelayController(ladder: Self.ladder)
        #expect(Self.run(&c, Array(repeating: 900, count: 100)).isEmpty)
        #expect(c.rendition == 0)
    }

    @Test func movesDownOneRenditionAtTheBudget() {
        var c = SendDelayController(ladder: Self.ladder)
        let moves = Self.run(&c, [100, 500, 999, 1000, 1200])
        #expect(moves.map(\.1) == [.moveDown(to: 1)])
        #expect(moves.first?.0 == 600, "at the first tick that reaches 1 s")
        #expect(c.rendition == 1)
    }

    @Test func holdsAfterAMoveThenMovesAgainIfTheQueueStillGrows() {
        var c = SendDelayController(ladder: Self.ladder)
        // 1.5 s queued for 4 s: one move, then (after the 2 s hold for the keyframe) the next.
        let moves = Self.run(&c, Array(repeating: 1500, count: 20))
        #expect(moves.map(\.1) == [.moveDown(to: 1), .moveDown(to: 2)])
        #expect(moves.map(\.0) == [0, 2000])
    }

    @Test func skipsToAKeyframeAtTheHardBudgetOnTheLowestRendition() {
        var c = SendDelayController(ladder: [700_000])
        let moves = Self.run(&c, [1000, 2000, 3000, 3500, 3500, 3500, 3500, 3500, 100])
        #expect(moves.map(\.1) == [.skipToKeyframe, .skipToKeyframe], "one skip per second at most")
        #expect(moves.map(\.0) == [400, 1400])
    }

    @Test func skipsWhileAMoveWaitsForItsKeyframe() {
        var c = SendDelayController(ladder: Self.ladder)
        let moves = Self.run(&c, [3200, 3200])
        #expect(moves.map(\.1) == [.moveDown(to: 1), .skipToKeyframe])
    }

    @Test func queuedBytesCountAtTheRenditionsBitrate() {
        var c = SendDelayController(ladder: [800_000, 400_000])
        // A span of 0 ms (one big keyframe) but 100 kB at 800 kbit/s is a second of media.
        #expect(c.update(.init(queuedMillis: 0, queuedBytes: 100_000, nowMillis: 0)) == .moveDown(to: 1))
    }

    @Test func movesUpOnlyAfterASustainedHealthyPeriod() {
        var c = SendDelayController(ladder: Self.ladder)
        _ = Self.run(&c, [1500])
        #expect(c.rendition == 1)
        // 9.8 s healthy: still down.
        #expect(Self.run(&c, Array(repeating: 100, count: 49), start: 200).isEmpty)
        // A tick of 600 ms (not healthy, not over budget) restarts the count.
        #expect(Self.run(&c, [600], start: 10_000).isEmpty)
        let up = Self.run(&c, Array(repeating: 100, count: 60), start: 10_200)
        #expect(up.map(\.1) == [.moveUp(to: 0)])
        #expect(up.first?.0 == 20_200, "10 s after the health came back")
    }

    @Test func aFlappingLinkNeverMakesItOscillate() {
        var c = SendDelayController(ladder: Self.ladder)
        // Every other tick over budget, for ten minutes: it only ever goes down.
        let flapping = (0..<3000).map { $0 % 2 == 0 ? Int64(1400) : 50 }
        let moves = Self.run(&c, flapping)
        #expect(moves.allSatisfy { if case .moveDown = $0.1 { true } else { false } })
        #expect(moves.count == 3)
        #expect(c.rendition == 3)
    }

    @Test func failedProbesBackOff() {
        // A link that carries rendition 1 but not the source: every move up fails at once.
        var c = SendDelayController(ladder: Self.ladder)
        var ups: [Int64] = []
        for tick in 0..<3000 { // ten minutes
            let now = Int64(tick) * 200
            let queued: Int64 = c.rendition == 0 ? 1500 : 100
            if case .moveUp = c.update(.init(queuedMillis: queued, nowMillis: now)) { ups.append(now) }
            #expect(c.rendition <= 1)
        }
        // The wait for a probe doubles after each failure (10, 20, 40, 80, 160 s), so ten
        // minutes hold a handful of probes, not one every 12 s.
        #expect(ups.count <= 6)
        let gaps = zip(ups.dropFirst(), ups).map { $0 - $1 }
        #expect(gaps == gaps.sorted(), "probes come ever more rarely: \(gaps)")
        #expect(c.upAfterMillis == c.configuration.maxUpAfterMillis)
    }

    @Test func aHeldProbeRestoresTheShortWait() {
        var c = SendDelayController(ladder: Self.ladder)
        _ = Self.run(&c, [1500])
        _ = Self.run(&c, Array(repeating: 100, count: 55), start: 200) // up at ~10.2 s
        _ = Self.run(&c, [1500], start: 12_400) // failed probe: wait doubles
        #expect(c.rendition == 1)
        #expect(c.upAfterMillis == 20_000)
        // Then healthy for a long time: up again after 20 s, and that probe holds for 30 s.
        _ = Self.run(&c, Array(repeating: 100, count: 400), start: 12_600)
        #expect(c.rendition == 0)
        #expect(c.upAfterMillis == 10_000)
    }

    /// Ticks with a queue of `queued` ms on a link draining `bps`; returns the decisions.
    static func link(_ c: inout SendDelayController, bps: Int, queued: (Int64) -> Int64, from start: Int64, seconds: Int,
                     delivered: inout Int) -> [(Int64, Decision)] {
        var out: [(Int64, Decision)] = []
        for i in 0..<(seconds * 5) {
            let now = start + Int64(i) * 200
            delivered += bps / 8 / 5
            let d = c.update(.init(queuedMillis: queued(now), deliveredBytes: delivered, nowMillis: now))
            if d != .stay { out.append((now, d)) }
        }
        return out
    }

    @Test func noMoveUpAboveARecentlyMeasuredCapacity() {
        var c = SendDelayController(ladder: [1_500_000, 730_000, 400_000])
        var delivered = 0
        // 4 s backlogged on a 425 kbit/s link: down twice, capacity measured.
        let down = Self.link(&c, bps: 425_000, queued: { _ in 1500 }, from: 0, seconds: 4, delivered: &delivered)
        #expect(down.map(\.1) == [.moveDown(to: 1), .moveDown(to: 2)])
        #expect(c.capacity.map { abs($0.bitsPerSecond - 425_000) < 5_000 } == true, "capacity \(String(describing: c.capacity))")
        // Healthy for 50 s (hidden buffers can look like that): no move up to 730k on a 425k link.
        let held = Self.link(&c, bps: 400_000, queued: { _ in 100 }, from: 4_000, seconds: 50, delivered: &delivered)
        #expect(held.isEmpty)
        // Once the measurement is a minute old, the controller probes again.
        let later = Self.link(&c, bps: 400_000, queued: { _ in 100 }, from: 54_000, seconds: 20, delivered: &delivered)
        #expect(later.map(\.1) == [.moveUp(to: 1)])
        #expect((later.first?.0 ?? 0) >= 3_800 + 60_000)
    }

    @Test func movesUpWhenTheMeasuredCapacityCarriesIt() {
        var c = SendDelayController(ladder: [1_500_000, 730_000])
        var delivered = 0
        // A burst backlogs a 2.5 Mbit/s link for a second: down, but the link is fast.
        _ = Self.link(&c, bps: 2_500_000, queued: { _ in 1200 }, from: 0, seconds: 1, delivered: &delivered)
        #expect(c.rendition == 1)
        let up = Self.link(&c, bps: 730_000, queued: { _ in 100 }, from: 1_000, seconds: 12, delivered: &delivered)
        #expect(up.map(\.1) == [.moveUp(to: 0)])
    }

    @Test func aLadderWithOneRenditionOnlySkips() {
        var c = SendDelayController(ladder: [])
        #expect(c.update(.init(queuedMillis: 1500, nowMillis: 0)) == .stay)
        #expect(c.update(.init(queuedMillis: 3000, nowMillis: 200)) == .skipToKeyframe)
    }
}

@Suite struct ReaderQueueSkipTests {
    private func unit(_ n: Int64, key: Bool = false, track: TrackKind = .video) -> MediaUnit {
        MediaUnit(track: track, pts: n, dts: n, timebase: .milliseconds, isKeyframe: key,
                  data: ByteBuffer(bytes: [1, 2, 3]), ingestWallClock: 0)
    }

    @Test func skipDropsTheBacklogAndResumesAtTheNextKeyframe() {
        let q = ReaderQueue(capacity: 64)
        q.push(.tracks([]))
        q.push(.unit(unit(0, key: true)))
        for i in 1...9 { q.push(.unit(unit(Int64(i * 40)))) }
        #expect(q.backlog.oldestMillis == 0)
        #expect(q.backlog.newestMillis == 360)
        #expect(q.skipToKeyframe() == 10)
        q.push(.unit(unit(400)))
        q.push(.unit(unit(410, track: .audio)))
        q.push(.unit(unit(440, key: true)))
        let (events, _) = q.drain(max: 10)
        #expect(events.count == 2)
        if case .tracks = events.first {} else { Issue.record("control events stay") }
        if case .unit(let u) = events.last { #expect(u.dts == 440) } else { Issue.record("keyframe missing") }
        #expect(q.skipped == 10)
        #expect(q.dropped == 2, "what came before the keyframe")
    }

    @Test func subscribingFromTheNextKeyframeLeavesTheCachedGOPOut() {
        let hub = StreamHub()
        let publisher = hub.publish(path: "live/a/360p")
        publisher.setTracks([TrackInfo(codec: .h264, timebase: .milliseconds)])
        publisher.write(unit(0, key: true))
        publisher.write(unit(40))
        let all = publisher.stream.subscribe()
        let next = publisher.stream.subscribe(fromNextKeyframe: true)
        #expect(all?.count == 3)
        #expect(next?.count == 1, "tracks only")
        #expect(publisher.stream.isDerived)
    }

    @Test func renditionsAreListedByFallingBitrate() throws {
        let hub = StreamHub()
        let source = try hub.publish(StreamPath(validating: "live/a"))
        source.setTracks([TrackInfo(codec: .h264, timebase: .milliseconds)])
        for (name, rate) in [("360p", 700_000), ("720p", 3_000_000), ("480p", 1_200_000)] {
            hub.publish(path: "live/a/\(name)").setTracks([TrackInfo(codec: .h264, timebase: .milliseconds, bitrate: rate)])
        }
        hub.publish(path: "live/a/aac").setTracks([TrackInfo(codec: .aac, timebase: .milliseconds)]) // no video: not a rung
        hub.publish(path: "live/ab/360p").setTracks([TrackInfo(codec: .h264, timebase: .milliseconds)])
        #expect(hub.renditions(of: "live/a").map(\.path) == ["live/a/720p", "live/a/480p", "live/a/360p"])
        #expect(!source.stream.isDerived)
    }
}
