import Foundation
import MediaCore
import NIOCore
import Synchronization
import Testing
@testable import StreamHub

@Suite struct PublisherInfoTests {
    @Test func ingestRateIsTheLastFullWindowAndGoesStale() {
        var window = IngestRateWindow()
        let t0 = ContinuousClock.now
        // 2 s of 25 fps video (1000 bytes a frame) with an audio frame of 200 bytes each time.
        for i in 0..<50 {
            window.add(video: true, bytes: 1000, now: t0 + .milliseconds(40 * i))
            window.add(video: false, bytes: 200, now: t0 + .milliseconds(40 * i))
        }
        #expect(window.rate(now: t0 + .milliseconds(1960)) == IngestRate(), "no full window yet")
        window.add(video: true, bytes: 1000, now: t0 + .milliseconds(2000))
        let rate = window.rate(now: t0 + .milliseconds(2100))
        #expect(rate.videoFramesPerSecond > 24 && rate.videoFramesPerSecond < 27)
        #expect(rate.videoBitsPerSecond > 190_000 && rate.videoBitsPerSecond < 215_000)
        #expect(rate.audioBitsPerSecond > 35_000 && rate.audioBitsPerSecond < 42_000)
        #expect(window.rate(now: t0 + .seconds(10)) == IngestRate(), "a publisher gone quiet reads 0")
    }

    @Test func stopReachesOnlyTheCurrentPublisherAndInfoFollowsIt() throws {
        let hub = StreamHub()
        let path = try StreamPath(validating: "live/a")
        let first = try hub.publish(path, credential: "key-digest")
        let stopped = Mutex<[String]>([])
        first.describe(PublisherInfo(transport: "rtmp", remote: "10.0.0.1:1")) { reason in stopped.withLock { $0.append("first: \(reason)") } }
        #expect(hub.stream("live/a")?.publisherInfo?.remote == "10.0.0.1:1")
        // A takeover by the same credential: the first's stop and info are gone.
        let second = try hub.publish(path, credential: "key-digest")
        #expect(hub.stream("live/a")?.publisherInfo == nil)
        second.describe(PublisherInfo(transport: "srt", remote: "10.0.0.2:2")) { reason in stopped.withLock { $0.append("second: \(reason)") } }
        #expect(hub.stopPublishers(reason: "bye") == 1)
        #expect(stopped.withLock { $0 } == ["second: bye"])
        second.end()
        #expect(hub.stream("live/a") == nil)
        #expect(hub.stopPublishers(reason: "again") == 0)
    }
}
