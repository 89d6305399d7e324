import HLS
import LatencyProbe
import NIOCore
import Testing

/// `bench viewers` reads playlists with its own byte parser (PlaylistReader costs too much per
/// reload at thousands of viewers): it must list what the tested reader lists, and pick the
/// part and reload a low-latency player would.
@Suite struct ViewerPlaylistTests {
    /// A delta update as Sluice's `MediaPlaylist` writes it: two segments skipped, parts on the
    /// last complete segments, an open segment, a preload hint and a rendition report.
    static let delta = """
    #EXTM3U
    #EXT-X-VERSION:9
    #EXT-X-TARGETDURATION:2
    #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.0,PART-HOLD-BACK=0.750
    #EXT-X-PART-INF:PART-TARGET=0.250
    #EXT-X-MEDIA-SEQUENCE:40
    #EXT-X-DISCONTINUITY-SEQUENCE:0
    #EXT-X-SKIP:SKIPPED-SEGMENTS=2
    #EXT-X-MAP:URI="init0.mp4"
    #EXT-X-PROGRAM-DATE-TIME:2026-11-30T10:00:04.000Z
    #EXTINF:2.00000,
    seg42.m4s
    #EXT-X-PROGRAM-DATE-TIME:2026-11-30T10:00:06.000Z
    #EXT-X-PART:DURATION=0.25000,URI="part336.m4s",INDEPENDENT=YES
    #EXT-X-PART:DURATION=0.25000,URI="part337.m4s"
    #EXT-X-PART:DURATION=0.50000,URI="part338.m4s"
    #EXTINF:1.00000,
    seg43.m4s
    #EXT-X-PROGRAM-DATE-TIME:2026-11-30T10:00:07.000Z
    #EXT-X-PART:DURATION=0.23300,URI="part339.m4s",INDEPENDENT=YES
    #EXT-X-PART:DURATION=0.23300,URI="part340.m4s"
    #EXT-X-PRELOAD-HINT:TYPE=PART,URI="part341.m4s"
    #EXT-X-RENDITION-REPORT:URI="../240p/index.m3u8",LAST-MSN=44,LAST-PART=1

    """

    struct Listed: Equatable {
        var msn: Int
        var index: Int
        var uri: String
    }

    @Test func listsThePartsThePlaylistReaderReads() throws {
        let list = ViewerPlaylist(ByteBuffer(string: Self.delta))
        let read = try PlaylistReader.media(Self.delta)
        let expected = read.segments.flatMap { s in s.parts.enumerated().map { Listed(msn: s.msn, index: $0.offset, uri: $0.element.uri) } }
        #expect(list.parts.map { Listed(msn: $0.msn, index: $0.index, uri: $0.uri) } == expected)
        #expect(expected.map(\.msn) == [43, 43, 43, 44, 44])
        #expect(list.parts.map(\.duration) == read.segments.flatMap { $0.parts.map(\.duration) })
        #expect(list.partTarget == read.partTarget && list.ended == read.ended && !list.ended)
    }

    @Test func reloadsForThePartAfterTheNewest() throws {
        let list = ViewerPlaylist(ByteBuffer(string: Self.delta))
        let latest = try #require(try PlaylistReader.media(Self.delta).latestPart)
        let target = try #require(list.reloadTarget)
        #expect(target.msn == latest.msn && target.part == latest.part + 1)
        #expect(target.msn == 44 && target.part == 2) // part341.m4s, the preload hint
    }

    @Test func fetchesOnlyWhatIsNewAndStartsNearTheLiveEdge() {
        let list = ViewerPlaylist(ByteBuffer(string: Self.delta))
        #expect(list.parts(after: (43, 2)).map(\.uri) == ["part339.m4s", "part340.m4s"])
        #expect(list.parts(after: (44, 1)).isEmpty)
        #expect(list.parts(after: nil).count == 5)
        // Three parts back from the newest: the next fetched is part338.
        let start = list.startAfter
        #expect(start?.msn == 43 && start?.index == 1)
        #expect(list.parts(after: start).first?.uri == "part338.m4s")
    }

    @Test func partEndsCountFromTheSegmentsProgramDateTime() {
        let list = ViewerPlaylist(ByteBuffer(string: Self.delta))
        let pdt = 1_796_032_806.0 // 2026-11-30T10:00:06Z
        let ends = list.parts.map { ($0.endWallClock ?? .nan) - pdt }
        let want = [0.25, 0.5, 1.0, 1.233, 1.466]
        #expect(ends.count == want.count && zip(ends, want).allSatisfy { abs($0 - $1) < 1e-6 }, "\(ends)")
    }

    @Test func anEndedPlaylistIsAReplay() {
        let list = ViewerPlaylist(ByteBuffer(string: Self.delta + "#EXT-X-ENDLIST\n"))
        #expect(list.ended)
    }
}
