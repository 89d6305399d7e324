@testable import HLS
import MediaCore
import NIOCore
import Testing

/// The reader reads back what the writers write: every segment, part and tag a player uses.
@Suite struct PlaylistReaderTests {
    /// What `MediaPlaylist.render` lists, compared with what the reader read.
    static func expectRoundTrip(_ t: RenditionTimeline, skip: Bool = false, reports: [RenditionReport] = []) throws {
        let text = MediaPlaylist.render(t, skip: skip, reports: reports)
        let m = try PlaylistReader.media(text)
        let listed = Array(t.segments[t.playlistStart...])
        #expect(m.targetDuration == t.configuration.targetDuration)
        #expect(m.partTarget == t.configuration.partTarget)
        #expect(m.canBlockReload)
        #expect(m.partHoldBack == t.configuration.partHoldBack)
        #expect(m.mediaSequence == listed.first?.msn ?? t.nextMSN)
        #expect(m.discontinuitySequence == t.discontinuitySequence(start: t.playlistStart))
        #expect(m.ended == t.ended)
        #expect(m.preloadHint == (t.ended ? nil : "part\(t.nextPartID).m4s"))
        #expect(m.renditionReports == (t.ended ? [] : reports))
        let kept = listed.dropFirst(m.skippedSegments)
        #expect(m.segments.map(\.msn) == kept.map(\.msn))
        for (read, s) in zip(m.segments, kept) {
            #expect(read.discontinuity == s.discontinuity)
            #expect(read.map == "init\(s.initID).mp4")
            #expect(read.programDateTime == ProgramDateTime.format(micros: s.programDateTime))
            #expect(read.uri == (s.complete ? "seg\(s.msn).m4s" : nil))
            if let d = read.duration { #expect(abs(d - s.duration) < 1e-5) }
            if !read.parts.isEmpty {
                #expect(read.parts.map(\.uri) == s.parts.map { "part\($0.id).m4s" })
                #expect(read.parts.map(\.independent) == s.parts.map(\.independent))
                #expect(zip(read.parts, s.parts).allSatisfy { abs($0.duration - $1.duration) < 1e-5 })
            }
        }
        if let latest = t.latest, !t.ended { #expect(m.latestPart?.msn == latest.msn && m.latestPart?.part == latest.part) }
    }

    /// Found with the Fuzz/ fuzz-playlist harness: a huge EXT-X-MEDIA-SEQUENCE (alone or plus
    /// EXT-X-SKIP) trapped on the next segment's number; it is now unreadable, like any bad value.
    @Test func hugeSequenceNumbersAreUnreadableNotATrap() throws {
        let m = try PlaylistReader.media("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:9223372036854775807\n#EXTINF:1,\na.ts\n#EXTINF:1,\nb.ts\n")
        #expect(m.mediaSequence == 0)
        #expect(m.segments.map(\.msn) == [0, 1])
        let d = try PlaylistReader.media("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:9223372036854775807\n#EXT-X-SKIP:SKIPPED-SEGMENTS=1\n#EXTINF:1,\na.ts\n")
        #expect(d.segments.map(\.msn) == [1])
        #expect(try PlaylistReader.media("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:4611686018427387903\n").mediaSequence == Int.max / 2)
    }

    @Test func aLiveMediaPlaylistRoundTrips() throws {
        var t = Fixtures.timeline(segments: 12)
        t.add(Fixtures.cut(first: true, at: t.nextPartID)) // an open segment with one part
        try Self.expectRoundTrip(t, reports: [RenditionReport(uri: "../720p/index.m3u8", lastMSN: 12, lastPart: 0)])
    }

    @Test func aDeltaUpdateRoundTrips() throws {
        try Self.expectRoundTrip(Fixtures.timeline(segments: 40), skip: true)
        #expect(try PlaylistReader.media(MediaPlaylist.render(Fixtures.timeline(segments: 40), skip: true)).skippedSegments > 0)
    }

    @Test func discontinuitiesNewInitSegmentsAndTheEndRoundTrip() throws {
        var t = Fixtures.timeline(segments: 3)
        t.markDiscontinuity()
        t.addInit(ByteBuffer(string: "init2"))
        Fixtures.append(&t, segments: 3)
        try Self.expectRoundTrip(t)
        t.end()
        try Self.expectRoundTrip(t)
    }

    @Test func theMultivariantPlaylistRoundTrips() throws {
        let media = SegmenterTests.media
        let infos = [
            RenditionInfo(name: "source", tracks: media.tracks, isSource: true, peakBandwidth: 900_000, averageBandwidth: 800_000, frameRate: 30),
            RenditionInfo(name: "audio", tracks: media.tracks.filter { $0.kind == .audio }, isSource: false,
                          peakBandwidth: 70_000, averageBandwidth: 64_000, frameRate: nil),
        ]
        let text = MultivariantPlaylist.render(infos, startBandwidth: nil)
        #expect(PlaylistReader.isMultivariant(text))
        let variants = try PlaylistReader.multivariant(text)
        #expect(variants.map(\.uri) == ["source/index.m3u8", "audio/index.m3u8"])
        #expect(variants.map(\.name) == ["source", "audio"])
        #expect(variants.map(\.bandwidth) == [900_000, 70_000])
        #expect(variants.map(\.averageBandwidth) == [800_000, 64_000])
        #expect(variants[0].codecs?.contains(",") == true, "a quoted attribute keeps its commas")
        #expect(variants[0].resolution != nil && variants[0].frameRate == 30)
        #expect(variants[1].resolution == nil)
    }

    @Test func garbageIsAnErrorOrSkippedNeverATrap() throws {
        #expect(throws: PlaylistReader.Failure.self) { try PlaylistReader.media("<html>404</html>") }
        let text = MediaPlaylist.render(Fixtures.timeline(segments: 4))
        // Every truncation and a flipped byte at every position: read without trapping.
        let bytes = Array(text.utf8)
        for n in stride(from: 0, through: bytes.count, by: 7) {
            _ = try? PlaylistReader.media(String(decoding: bytes[..<n], as: UTF8.self))
            var flipped = bytes
            if n < flipped.count { flipped[n] ^= 0x22 }
            _ = try? PlaylistReader.media(String(decoding: flipped, as: UTF8.self))
            _ = try? PlaylistReader.multivariant(String(decoding: flipped, as: UTF8.self))
        }
        let odd = "#EXTM3U\n#EXT-X-PART:DURATION=x,URI=\"a\n#EXTINF:,\n\n#EXT-X-MAP:URI=\n#EXT-X-RENDITION-REPORT:LAST-MSN=1\nseg\n"
        let m = try PlaylistReader.media(odd)
        #expect(m.segments.count == 1)
    }
}
