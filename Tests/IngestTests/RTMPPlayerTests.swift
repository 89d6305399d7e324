import MediaCore
import NIOCore
import RTMP
import StreamHub
import Testing
@testable import Ingest

/// The RTMP player's state machine without sockets: hub streams and queues in memory, samples
/// with made-up socket progress, and the actions each transition asks of the handler.
@Suite struct RTMPPlayerTests {
    static let video = TrackInfo(codec: .h264, timebase: .milliseconds, extradata: ByteBuffer(bytes: [1, 0x64, 0, 0x1f, 0xff, 0xe0]))

    static func unit(_ ms: Int64, key: Bool = false) -> MediaUnit {
        MediaUnit(track: .video, pts: ms, dts: ms, timebase: .milliseconds, isKeyframe: key,
                  data: ByteBuffer(bytes: [0, 0, 0, 1, 0x65]), ingestWallClock: 0)
    }

    /// A source `live/a` (and optionally a 600 kbit/s rendition `live/a/360p`) and a player on the source.
    struct Fixture {
        let hub = StreamHub()
        let source: LiveStream
        let rendition: LiveStream?
        var player: RTMPPlayer

        init(rendition withRendition: Bool = false) {
            let publisher = hub.publish(path: "live/a")
            publisher.setTracks([RTMPPlayerTests.video])
            source = publisher.stream
            if withRendition {
                var track = RTMPPlayerTests.video
                track.bitrate = 600_000
                let r = hub.publish(path: "live/a/360p")
                r.setTracks([track])
                rendition = r.stream
            } else {
                rendition = nil
            }
            let queue = source.subscribe(capacity: 512)!
            player = RTMPPlayer(streamID: 1, path: "live/a", feed: .init(stream: source, queue: queue),
                                sendDelay: SendDelayController.Configuration(), playerID: 7)
        }

        var ladder: [(name: String, stream: LiveStream?, nominal: Int)] {
            [("source", source, 0)] + (rendition.map { [("360p", $0, 600_000)] } ?? [])
        }

        /// Queues `millis` of source media, a keyframe every second.
        func backlog(millis: Int64) {
            for ms in stride(from: Int64(0), through: millis, by: 40) { player.feed.queue.push(.unit(unit(ms, key: ms % 1000 == 0))) }
        }

        mutating func sample(delivered: Int = 0) -> (RTMPPlayer.Sample, [RTMPPlayer.Action])? {
            let ladder = self.ladder
            return player.sample(buffered: 0, delivered: delivered, now: .now(), streams: { ladder })
        }
    }

    static func isSending(_ state: RTMPPlayer.State) -> Bool { if case .sending = state { true } else { false } }
    static func isSwitching(_ state: RTMPPlayer.State) -> Bool { if case .switching = state { true } else { false } }
    static func isAwaitingRepublish(_ state: RTMPPlayer.State) -> Bool { if case .awaitingRepublish = state { true } else { false } }
    static func isEnded(_ state: RTMPPlayer.State) -> Bool { if case .ended = state { true } else { false } }

    /// The statuses an action list reports, by stream path.
    static func reports(_ actions: [RTMPPlayer.Action]) -> [(path: String, status: PlayerStatus?)] {
        actions.compactMap { if case .report(let stream, _, let status) = $0 { (stream.path, status) } else { nil } }
    }

    @Test func aNewPlayerSendsTheSourceAndReportsItselfOnIt() {
        let f = Fixture()
        #expect(Self.isSending(f.player.state))
        #expect(f.player.isSending(from: f.player.feed.queue))
        let reports = Self.reports(f.player.started)
        #expect(reports.count == 1)
        #expect(reports.first?.path == "live/a")
        #expect(reports.first?.status?.rendition == "source")
    }

    @Test func writtenUnitsCountAsQueuedUntilTheKernelTakesThem() throws {
        var f = Fixture()
        f.backlog(millis: 2000)
        let (events, _) = f.player.feed.queue.drain(max: 1000)
        var encoder = RTMPChunkEncoder()
        var out = ByteBuffer()
        f.player.encode(.tracks([Self.video]), encoder: &encoder, offset: 0, into: &out)
        for event in events { f.player.encode(event, encoder: &encoder, offset: 0, into: &out) }
        let units = events.filter { if case .unit = $0 { true } else { false } }
        #expect(units.count == 51)
        #expect(f.player.sendDelay?.written.count == units.count)
        #expect(f.player.sendDelay?.written.last?.end == out.readableBytes)

        let r1 = f.sample(delivered: 0)
        let (held, _) = try #require(r1)
        #expect(held.queuedMillis == 2000)
        #expect(held.step == .stay)
        let r2 = f.sample(delivered: out.readableBytes)
        let (taken, _) = try #require(r2)
        #expect(taken.queuedMillis == 0)
        #expect(f.player.sendDelay?.written.isEmpty == true)
    }

    @Test func aBackloggedPlayerWithoutRenditionsSkipsToAKeyframe() throws {
        var f = Fixture()
        f.backlog(millis: 4040)
        let r3 = f.sample()
        let (sample, actions) = try #require(r3)
        guard case .skipped(let units) = sample.step else { Issue.record("expected a skip, got \(sample.step)"); return }
        #expect(units == 102) // every queued unit; the queue resumes at the next keyframe
        #expect(f.player.feed.queue.backlog.oldestMillis == nil)
        #expect(f.player.status.keyframeSkips == 1)
        #expect(Self.isSending(f.player.state))
        #expect(Self.reports(actions).last?.status?.keyframeSkips == 1)
    }

    @Test func aBackloggedPlayerMovesDownAtTheTargetsKeyframe() throws {
        var f = Fixture(rendition: true)
        let rendition = try #require(f.rendition)
        let oldQueue = f.player.feed.queue
        f.backlog(millis: 1500)
        let r4 = f.sample()
        let (sample, _) = try #require(r4)
        let rung = RTMPPlayer.Rung(name: "360p", path: "live/a/360p", bitrate: 600_000)
        #expect(sample.step == .move(to: rung, up: false))
        #expect(Self.isSending(f.player.state)) // until the handler has the target's queue

        let target = try #require(rendition.subscribe(fromNextKeyframe: true))
        f.player.switchStarted(.init(stream: rendition, queue: target), rung: rung, up: false)
        #expect(Self.isSwitching(f.player.state))
        #expect(f.player.isSending(from: oldQueue)) // the source goes on until the keyframe

        // No keyframe yet: the player waits and stays on the source.
        let (waiting, none) = f.player.switchEvents([.unit(Self.unit(1960))], ended: false, from: target)
        guard case .waiting = waiting else { Issue.record("expected to wait, got \(waiting)"); return }
        #expect(none.isEmpty)
        #expect(f.player.status.rendition == "source")

        let (moved, actions) = f.player.switchEvents([.unit(Self.unit(1980)), .unit(Self.unit(2000, key: true)), .unit(Self.unit(2040))],
                                                     ended: false, from: target)
        guard case .moved(let s, let send, let ended) = moved else { Issue.record("expected a move, got \(moved)"); return }
        #expect(!ended)
        #expect(s.rung == rung && !s.up && s.from == "source")
        // New sequence headers first, then media from the keyframe on.
        guard case .tracks = send.first else { Issue.record("the move must start with tracks"); return }
        #expect(send.count == 3)
        if case .unit(let first) = send[1] { #expect(first.isKeyframe && first.dts == 2000) } else { Issue.record("no keyframe after tracks") }
        #expect(f.player.feed.queue === target)
        #expect(!f.player.isSending(from: oldQueue))
        #expect(f.player.status.rendition == "360p")
        #expect(f.player.status.movesDown == 1)
        guard case .leave(let left) = actions.first else { Issue.record("the source queue must be let go"); return }
        #expect(left.queue === oldQueue)
        #expect(Self.reports(actions).last?.status?.rendition == "360p")
    }

    @Test func aTargetThatEndsBeforeItsKeyframeLeavesThePlayerWhereItWas() throws {
        var f = Fixture(rendition: true)
        let rendition = try #require(f.rendition)
        f.backlog(millis: 1500)
        let r5 = f.sample()
        let (sample, _) = try #require(r5)
        guard case .move(let rung, let up) = sample.step else { Issue.record("expected a move"); return }
        let target = try #require(rendition.subscribe(fromNextKeyframe: true))
        f.player.switchStarted(.init(stream: rendition, queue: target), rung: rung, up: up)

        let (step, _) = f.player.switchEvents([.unit(Self.unit(1960))], ended: true, from: target)
        guard case .failed = step else { Issue.record("expected the switch to fail, got \(step)"); return }
        #expect(Self.isSending(f.player.state))
        #expect(f.player.status.rendition == "source")
        #expect(f.player.sendDelay?.controller.rendition == 0)
    }

    @Test func eventsOfAQueueThatIsNotTheSwitchInFlightAreStale() throws {
        var f = Fixture(rendition: true)
        let stray = ReaderQueue(capacity: 8)
        let (idle, _) = f.player.switchEvents([.unit(Self.unit(0, key: true))], ended: false, from: stray)
        guard case .stale = idle else { Issue.record("no switch in flight: expected stale, got \(idle)"); return }
        #expect(f.player.status.rendition == "source")
    }

    @Test func aMoveWithoutATargetStreamKeepsTheControllerOnTheSource() throws {
        var f = Fixture(rendition: true)
        f.backlog(millis: 1500)
        let r6 = f.sample()
        let (sample, _) = try #require(r6)
        guard case .move = sample.step else { Issue.record("expected a move"); return }
        #expect(f.player.sendDelay?.controller.rendition == 1)
        f.player.switchUnavailable()
        #expect(f.player.sendDelay?.controller.rendition == 0)
        #expect(Self.isSending(f.player.state))
    }

    @Test func theEndOfTheFeedWaitsForARepublishThenResumesOnTheSource() throws {
        var f = Fixture(rendition: true)
        let rendition = try #require(f.rendition)
        let old = f.player.feed
        f.backlog(millis: 1500)
        let r7 = f.sample()
        let (sample, _) = try #require(r7)
        guard case .move(let rung, let up) = sample.step else { Issue.record("expected a move"); return }
        let target = try #require(rendition.subscribe(fromNextKeyframe: true))
        f.player.switchStarted(.init(stream: rendition, queue: target), rung: rung, up: up)

        // Another queue's end changes nothing.
        let r8 = f.player.feedEnded(ReaderQueue(capacity: 8))
        #expect(r8.0 == false)
        let (waiting, actions) = f.player.feedEnded(old.queue)
        #expect(waiting)
        #expect(Self.isAwaitingRepublish(f.player.state))
        guard case .abandon(let abandoned) = actions.first else { Issue.record("the switch in flight must be let go"); return }
        #expect(abandoned.queue === target)
        #expect(!f.player.isSending(from: old.queue))
        let r9 = f.sample()
        #expect(r9.map { _ in true } == nil) // nothing is sent, nothing to control

        // The path is published again (a new stream object after the old one ended).
        let again = StreamHub().publish(path: "live/a").stream
        let queue = try #require(again.subscribe())
        let r10 = f.player.resume(from: ReaderQueue(capacity: 8), to: .init(stream: again, queue: queue))
        #expect(r10 == nil)
        let r11 = f.player.resume(from: old.queue, to: .init(stream: again, queue: queue))
        let resumed = try #require(r11)
        #expect(Self.isSending(f.player.state))
        #expect(f.player.isSending(from: queue))
        #expect(f.player.home === again)
        guard case .leave(let left) = resumed.first else { Issue.record("the old queue must be let go"); return }
        #expect(left.queue === old.queue)
        let reports = Self.reports(resumed)
        #expect(reports.count == 2)
        #expect(reports.first?.status == nil) // gone from the old stream
        #expect(reports.last?.status?.rendition == "source")
    }

    @Test func aRepublishThatNeverComesEndsThePlay() throws {
        var f = Fixture()
        let old = f.player.feed
        let r12 = f.player.feedEnded(old.queue)
        #expect(r12.0)
        let r13 = f.player.republishTimedOut(ReaderQueue(capacity: 8))
        #expect(r13 == nil)
        let r14 = f.player.republishTimedOut(old.queue)
        let actions = try #require(r14)
        #expect(Self.isEnded(f.player.state))
        guard case .leave(let left) = actions.first else { Issue.record("the queue must be let go"); return }
        #expect(left.queue === old.queue)
        #expect(Self.reports(actions).map(\.status) == [nil])
        let r15 = f.player.stop()
        #expect(r15.isEmpty) // already over
        let r16 = f.player.resume(from: old.queue, to: old)
        #expect(r16 == nil)
    }

    @Test func stoppingLetsGoOfTheFeedAndTheSwitchInFlight() throws {
        var f = Fixture(rendition: true)
        let rendition = try #require(f.rendition)
        f.backlog(millis: 1500)
        let r17 = f.sample()
        let (sample, _) = try #require(r17)
        guard case .move(let rung, let up) = sample.step else { Issue.record("expected a move"); return }
        let target = try #require(rendition.subscribe(fromNextKeyframe: true))
        f.player.switchStarted(.init(stream: rendition, queue: target), rung: rung, up: up)
        let source = f.player.feed.queue

        let actions = f.player.stop()
        #expect(Self.isEnded(f.player.state))
        #expect(actions.count == 3)
        if case .leave(let feed) = actions[0] { #expect(feed.queue === source) } else { Issue.record("the feed must be let go first") }
        if case .abandon(let feed) = actions[1] { #expect(feed.queue === target) } else { Issue.record("then the switch target") }
        #expect(Self.reports(actions).map(\.status) == [nil])
    }
}
