import Testing
@testable import Server

/// The analytics' pure parts: the HyperLogLog sketch, the exact-then-estimated unique count,
/// and a stream's viewers on a manual clock.
@Suite struct AnalyticsUnitTests {
    @Test func hyperLogLogIsWithinAFewPercentAt100k() {
        var hll = HyperLogLog()
        for i in 0..<100_000 { hll.add(HyperLogLog.key("viewer-\(i)".utf8)) }
        let error = abs(hll.estimate - 100_000) / 100_000
        #expect(error < 0.03, "estimate \(hll.estimate)")
        // Adding the same items again changes nothing.
        let before = hll.estimate
        for i in 0..<1_000 { hll.add(HyperLogLog.key("viewer-\(i)".utf8)) }
        #expect(hll.estimate == before)
    }

    @Test func hyperLogLogIsCloseForSmallCounts() {
        var hll = HyperLogLog()
        for i in 0..<50 { hll.add(UInt64(i)) }
        #expect(abs(hll.estimate - 50) < 2, "estimate \(hll.estimate)")
        #expect(HyperLogLog().estimate == 0)
    }

    @Test func uniqueViewersAreExactUpToTheBoundThenEstimated() {
        var u = UniqueViewers(exactLimit: 1_000)
        for i in 0..<1_000 { u.add(HyperLogLog.key("v\(i)".utf8)) }
        for i in 0..<1_000 { u.add(HyperLogLog.key("v\(i)".utf8)) }
        #expect(u.count == 1_000 && !u.isEstimated)
        for i in 1_000..<20_000 { u.add(HyperLogLog.key("v\(i)".utf8)) }
        #expect(u.isEstimated)
        #expect(abs(Double(u.count) - 20_000) / 20_000 < 0.03, "count \(u.count)")
    }

    @Test func viewersTimeOutOnTheManualClockAndWatchTimeAndJoinAreKept() {
        var a = ViewerAnalytics(timeout: 15, exactUniqueViewers: 10)
        // Viewer 1 joins at t=0: multivariant, media playlist, first part answered at 0.4 s.
        a.record(viewer: 1, .playlist(rendition: nil), received: 0, answered: 0.01)
        a.record(viewer: 1, .playlist(rendition: "720p"), received: 0.1, answered: 0.2)
        #expect(a.record(viewer: 1, .media(rendition: "720p"), received: 0.3, answered: 0.4) == 0.4)
        // A second part is not a second join.
        #expect(a.record(viewer: 1, .media(rendition: "720p"), received: 1, answered: 1.1) == nil)
        // Viewer 2 joins at t=2 on 360p, 0.2 s.
        a.record(viewer: 2, .playlist(rendition: nil), received: 2, answered: 2.05)
        #expect(a.record(viewer: 2, .media(rendition: "360p"), received: 2.1, answered: 2.2) != nil)
        a.tick(now: 3, rtmpPlayers: [7: "source"])
        var s = a.snapshot(now: 3)
        #expect(s.viewers == 3 && s.hlsViewers == 2 && s.rtmpViewers == 1 && s.peakViewers == 3)
        #expect(s.uniqueViewers == 3 && !s.uniqueViewersEstimated)
        #expect(s.renditions == ["720p": 1, "360p": 1, "source": 1])
        #expect(s.joins == 2)
        #expect(abs((s.joinTimeP50Seconds ?? 0) - 0.2) < 1e-9 && abs((s.joinTimeP95Seconds ?? 0) - 0.4) < 1e-9)

        // Viewer 1 keeps asking until t=10; viewer 2 never again; the RTMP player leaves at t=5.
        a.record(viewer: 1, .media(rendition: "720p"), received: 10, answered: 10)
        a.tick(now: 5, rtmpPlayers: [:])
        a.tick(now: 17.1, rtmpPlayers: [:]) // viewer 2: 14.9 s idle, still here
        #expect(a.snapshot(now: 17.1).hlsViewers == 2)
        a.tick(now: 17.3, rtmpPlayers: [:]) // viewer 2 gone (last request 2.2 s)
        s = a.snapshot(now: 17.3)
        #expect(s.hlsViewers == 1 && s.viewers == 1 && s.peakViewers == 3)
        a.tick(now: 25.1, rtmpPlayers: [:]) // viewer 1 gone (last 10 s)
        s = a.snapshot(now: 25.1)
        #expect(s.viewers == 0 && s.uniqueViewers == 3 && s.renditions.isEmpty)
        // Sessions: viewer 1 watched 0 → 10 s, viewer 2 2 → 2.2 s, the player 3 → 5 s.
        #expect(abs(s.averageWatchSeconds - (10 + 0.2 + 2) / 3) < 1e-9)
        // Back after the timeout: a new session, not a new unique viewer, and no join to time.
        #expect(a.record(viewer: 1, .media(rendition: "720p"), received: 30, answered: 30.1) == nil)
        #expect(a.snapshot(now: 30.1).uniqueViewers == 3 && a.snapshot(now: 30.1).viewers == 1)
    }

    @Test func originURLsAreClassifiedByStreamAndRendition() {
        let live: (String) -> Bool = { $0 == "live/show" }
        #expect(Analytics.classify("/live/show/index.m3u8", isStream: live)?.request == .playlist(rendition: nil))
        #expect(Analytics.classify("/live/show/720p/index.m3u8", isStream: live)?.request == .playlist(rendition: "720p"))
        #expect(Analytics.classify("/live/show/720p/part12.m4s", isStream: live)?.request == .media(rendition: "720p"))
        #expect(Analytics.classify("/live/show/source/init0.mp4", isStream: live)?.path == "live/show")
        #expect(Analytics.classify("/live/other/index.m3u8", isStream: live) == nil)
        #expect(ServerMetrics.route("/live/show/720p/part12.m4s") == "part")
        #expect(ServerMetrics.route("/live/show/720p/seg3.m4s") == "segment")
        #expect(ServerMetrics.route("/live/show/index.m3u8") == "playlist")
        #expect(ServerMetrics.route("/api/v1/streams") == "api")
        #expect(ServerMetrics.route("/metrics") == "other")
    }
}
