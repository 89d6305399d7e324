import Access
import HLS
@testable import Origin
import Testing

/// The playlist rewrite of signed streams: every URI the player follows gets the shared token.
@Suite struct OriginAccessTests {
    @Test func everyURIGetsTheSharedToken() {
        let media = """
        #EXTM3U
        #EXT-X-MAP:URI="init0.mp4"
        #EXT-X-PART:DURATION=0.25000,URI="part1.m4s",INDEPENDENT=YES
        #EXTINF:2.00000,
        seg0.m4s
        #EXT-X-PRELOAD-HINT:TYPE=PART,URI="part2.m4s"
        #EXT-X-RENDITION-REPORT:URI="../360p/index.m3u8",LAST-MSN=3,LAST-PART=1
        #EXT-X-STREAM-INF:BANDWIDTH=1
        source/index.m3u8?already=1

        """
        let out = OriginAccess.rewrite(media, query: "st=5400-ab")
        #expect(out == """
        #EXTM3U
        #EXT-X-MAP:URI="init0.mp4?st=5400-ab"
        #EXT-X-PART:DURATION=0.25000,URI="part1.m4s?st=5400-ab",INDEPENDENT=YES
        #EXTINF:2.00000,
        seg0.m4s?st=5400-ab
        #EXT-X-PRELOAD-HINT:TYPE=PART,URI="part2.m4s?st=5400-ab"
        #EXT-X-RENDITION-REPORT:URI="../360p/index.m3u8?st=5400-ab",LAST-MSN=3,LAST-PART=1
        #EXT-X-STREAM-INF:BANDWIDTH=1
        source/index.m3u8?already=1&st=5400-ab

        """)
    }

    @Test func theSignedBodyIsSharedUntilThePlaylistOrTokenChanges() {
        let access = OriginAccess()
        let body = PlaylistBody("#EXTM3U\nseg0.m4s\n")
        let a = access.sign(body, key: "live/x/source/index.m3u8", query: "st=1-a")
        #expect(access.sign(body, key: "live/x/source/index.m3u8", query: "st=1-a") === a)
        #expect(access.sign(body, key: "live/x/source/index.m3u8", query: "st=2-b") !== a)
        #expect(access.sign(PlaylistBody("#EXTM3U\nseg1.m4s\n"), key: "live/x/source/index.m3u8", query: "st=2-b").text
            == "#EXTM3U\nseg1.m4s?st=2-b\n")
    }

    @Test func requestsNeedTheRightKindOfToken() {
        let gate = PlayGate { _ in PlayGate.Settings(secret: "p") }
        let personal = AccessQuery(AccessToken.query(secret: "p", action: .play, path: "live/x", ttl: 60)).fields
        guard case .allowed(let shared) = gate.check(path: "live/x", query: personal, personalOnly: true) else {
            Issue.record("personal token refused")
            return
        }
        let st = ["st": shared]
        #expect(OriginResponder.play(.multivariant(stream: "live/x"), query: st, gate: gate) != .allowed(shared: shared))
        #expect(OriginResponder.play(.part(stream: "live/x", rendition: "source", id: 3), query: st, gate: gate) == .allowed(shared: shared))
        #expect(OriginResponder.play(.segment(stream: "live/x", rendition: "source", msn: 3), query: [:], gate: gate) != .open)
        // Before the show starts, `live/x/index.m3u8` parses as a rendition of `live`: the
        // personal token for `live/x` lets the viewer wait.
        #expect(OriginResponder.play(.mediaPlaylist(stream: "live", rendition: "x"), query: personal, gate: gate) == .open)
        if case .denied = OriginResponder.play(.mediaPlaylist(stream: "live", rendition: "x"), query: [:], gate: gate) {} else {
            Issue.record("a bare playlist URL passed")
        }
        // Not for a live stream's rendition: a token for `live/x/source` is no token for `live/x`.
        let other = AccessQuery(AccessToken.query(secret: "p", action: .play, path: "live/x/source", ttl: 60)).fields
        if case .denied = OriginResponder.play(.mediaPlaylist(stream: "live/x", rendition: "source"), query: other, gate: gate,
                                               isLive: { $0 == "live/x" }) {} else {
            Issue.record("another path's token opened a live stream's rendition")
        }
    }
}
