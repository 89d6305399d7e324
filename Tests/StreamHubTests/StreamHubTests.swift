import MediaCore
import NIOCore
import Testing
import Synchronization
@testable import StreamHub

private func unit(_ n: Int64, key: Bool = false) -> MediaUnit {
    MediaUnit(track: .video, pts: n, dts: n, timebase: .milliseconds, isKeyframe: key,
              data: ByteBuffer(bytes: [0]), ingestWallClock: 0)
}

@Suite struct StreamHubTests {
    @Test func newReaderGetsTracksAndCurrentGOPAtOnce() throws {
        let hub = StreamHub()
        let pub = hub.publish(path: "live/a")
        let track = TrackInfo(codec: .h264, timebase: .milliseconds, width: 640, height: 360)
        pub.setTracks([track])
        pub.write(unit(0, key: true))
        pub.write(unit(33))
        pub.write(unit(66, key: true))
        pub.write(unit(100))
        let q = try #require(hub.stream("live/a")?.subscribe())
        guard case .tracks(let t) = q.next(timeout: .zero) else { Issue.record("no tracks"); return }
        #expect(t == [track])
        guard case .unit(let u) = q.next(timeout: .zero) else { Issue.record("no unit"); return }
        #expect(u.pts == 66 && u.isKeyframe)
    }

    @Test func takeoverEvictsOldPublisherAndMarksDiscontinuity() throws {
        let hub = StreamHub()
        let evicted = Mutex(false)
        let old = hub.publish(path: "live/a", onEvicted: { evicted.withLock { $0 = true } })
        old.write(unit(0, key: true))
        let q = try #require(hub.stream("live/a")?.subscribe())
        _ = q.next(timeout: .zero)
        let new = hub.publish(path: "live/a")
        #expect(evicted.withLock { $0 })
        #expect(old.write(unit(1)) == false)
        old.end() // the half-dead connection finally closes: must not end the new stream
        #expect(hub.stream("live/a") != nil)
        new.write(unit(0, key: true))
        if case .discontinuity = q.next(timeout: .zero) {} else { Issue.record("no discontinuity") }
        if case .unit(let u) = q.next(timeout: .zero) { #expect(u.pts == 0) } else { Issue.record("no unit") }
    }

    @Test func endClosesReadersAndFreesPath() throws {
        let hub = StreamHub()
        let pub = hub.publish(path: "live/a")
        let q = try #require(hub.stream("live/a")?.subscribe())
        pub.end()
        #expect(q.next(timeout: .zero) == nil)
        #expect(hub.stream("live/a") == nil)
    }

    @Test func observersSeeNewStreams() {
        let hub = StreamHub()
        let seen = Mutex<[String]>([])
        hub.onNewStream { s in seen.withLock { $0.append(s.path) } }
        _ = hub.publish(path: "live/x")
        _ = hub.publish(path: "live/x") // takeover is not a new stream
        #expect(seen.withLock { $0 } == ["live/x"])
    }
}
