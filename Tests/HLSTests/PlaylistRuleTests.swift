import HLS
import MediaCore
import NIOCore
import Testing

/// One test per rule of Docs/HLS.md "Playlist rules", on synthetic timelines.
@Suite struct PlaylistRuleTests {
    let text = MediaPlaylist.render(Fixtures.timeline(segments: 12))

    @Test func targetDurationIsIntegerAndBoundsEveryExtinf() {
        let lines = Fixtures.lines(text)
        #expect(lines.contains("#EXT-X-TARGETDURATION:2"))
        let extinf = lines.filter { $0.hasPrefix("#EXTINF:") }.map { Double($0.dropFirst(8).dropLast())! }
        #expect(!extinf.isEmpty)
        #expect(extinf.allSatisfy { $0.rounded() <= 2 })
    }

    @Test func partInfIsPresentAndUnchangedAcrossReloads() {
        var t = Fixtures.timeline(segments: 3)
        let before = Fixtures.lines(MediaPlaylist.render(t)).filter { $0.hasPrefix("#EXT-X-PART-INF") || $0.hasPrefix("#EXT-X-SERVER-CONTROL") || $0.hasPrefix("#EXT-X-TARGETDURATION") }
        Fixtures.append(&t, segments: 5, parts: 3)
        let after = Fixtures.lines(MediaPlaylist.render(t)).filter { $0.hasPrefix("#EXT-X-PART-INF") || $0.hasPrefix("#EXT-X-SERVER-CONTROL") || $0.hasPrefix("#EXT-X-TARGETDURATION") }
        #expect(before == ["#EXT-X-TARGETDURATION:2", "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.0,PART-HOLD-BACK=0.750,HOLD-BACK=6.0", "#EXT-X-PART-INF:PART-TARGET=0.250"])
        #expect(before == after)
    }

    @Test func serverControlKeepsTheSpecMinimums() {
        let c = Fixtures.config
        #expect(c.partHoldBack >= 3 * c.partTarget)
        #expect(c.holdBack >= 3 * Double(c.targetDuration))
        #expect(c.skipUntil >= 6 * Double(c.targetDuration))
        #expect(c.partTarget <= 0.25)
    }

    @Test func independentMarksExactlyThePartsThatBeginWithAnIDR() {
        let t = Fixtures.timeline(segments: 2)
        let parts = Fixtures.lines(MediaPlaylist.render(t)).filter { $0.hasPrefix("#EXT-X-PART:") }
        let flags = parts.map { $0.contains("INDEPENDENT=YES") }
        let expected = t.segments.flatMap { $0.parts.map(\.independent) }
        #expect(flags == expected)
        #expect(flags == [true, false, false, false, true, false, false, false])
    }

    @Test func segmentTagsPrecedeTheSegmentsFirstPart() {
        var t = Fixtures.timeline(segments: 2)
        t.markDiscontinuity()
        t.addInit(ByteBuffer(string: "init2"))
        Fixtures.append(&t, segments: 1)
        let lines = Fixtures.lines(MediaPlaylist.render(t))
        let disc = lines.firstIndex(of: "#EXT-X-DISCONTINUITY")!
        #expect(lines[disc + 1] == "#EXT-X-MAP:URI=\"init1.mp4\"")
        #expect(lines[disc + 2].hasPrefix("#EXT-X-PROGRAM-DATE-TIME:"))
        #expect(lines[disc + 3].hasPrefix("#EXT-X-PART:"))
        // Every PDT is followed by the segment's first part or its EXTINF, never something else.
        for (i, l) in lines.enumerated() where l.hasPrefix("#EXT-X-PROGRAM-DATE-TIME:") {
            #expect(lines[i + 1].hasPrefix("#EXT-X-PART:") || lines[i + 1].hasPrefix("#EXTINF:"))
        }
    }

    @Test func programDateTimeComesFromTheIngestWallClock() {
        let t = Fixtures.timeline(segments: 1)
        #expect(text.contains("#EXT-X-PROGRAM-DATE-TIME:"))
        #expect(MediaPlaylist.render(t).contains("#EXT-X-PROGRAM-DATE-TIME:\(ProgramDateTime.format(micros: Fixtures.t0))"))
        #expect(ProgramDateTime.format(micros: 1_700_000_000_123_456) == "2023-11-14T22:13:20.123Z")
    }

    @Test func versionAllowsMapAndSkip() {
        #expect(text.hasPrefix("#EXTM3U\n#EXT-X-VERSION:9\n"))
    }

    @Test func oldPartsLeaveThePlaylistAndTheWindowCoversThreeTargetDurations() {
        let t = Fixtures.timeline(segments: 30) // 30 s of 1 s segments
        let lines = Fixtures.lines(MediaPlaylist.render(t))
        let listed = lines.filter { $0.hasPrefix("#EXTINF:") }.count
        #expect(Double(listed) >= 3 * Double(t.configuration.targetDuration))
        #expect(Double(listed) >= t.configuration.playlistWindow - 1)
        // Parts only for segments ending within the last 3 target durations (6 s: 5 complete + the open one).
        let partSegments = t.segments.suffix(6)
        let partLines = lines.filter { $0.hasPrefix("#EXT-X-PART:") }
        #expect(partLines.count == partSegments.reduce(0) { $0 + $1.parts.count })
        #expect(partLines.first == "#EXT-X-PART:DURATION=0.25000,URI=\"part\(partSegments.first!.parts[0].id).m4s\",INDEPENDENT=YES")
    }

    @Test func evictedMediaStaysDownloadableForThreeTargetDurations() {
        let t = Fixtures.timeline(segments: 40)
        let firstListed = t.segments[t.playlistStart].msn
        let firstStored = t.segments.first!.msn
        let retained = t.segments.prefix(t.playlistStart).reduce(0) { $0 + $1.duration }
        #expect(retained >= t.configuration.retention)
        #expect(t.segment(msn: firstStored) != nil)
        #expect(t.segment(msn: firstStored - 1) == nil)
        #expect(firstListed > firstStored)
        #expect(t.part(id: t.segments.first!.parts[0].id) != nil)
        #expect(t.part(id: 0) == nil)
    }

    @Test func preloadHintNamesTheNextPartAndVanishesAfterEndlist() {
        var t = Fixtures.timeline(segments: 2)
        #expect(MediaPlaylist.render(t).contains("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part8.m4s\"\n"))
        t.end()
        let ended = MediaPlaylist.render(t)
        #expect(!ended.contains("PRELOAD-HINT"))
        #expect(ended.hasSuffix("#EXT-X-ENDLIST\n"))
    }

    @Test func renditionReportsNameEveryOtherRendition() {
        let reports = [RenditionReport(uri: "../480p/index.m3u8", lastMSN: 7, lastPart: 2),
                       RenditionReport(uri: "../audio/index.m3u8", lastMSN: 7, lastPart: 3)]
        let lines = Fixtures.lines(MediaPlaylist.render(Fixtures.timeline(segments: 2), reports: reports))
        #expect(lines.filter { $0.hasPrefix("#EXT-X-RENDITION-REPORT:") } == [
            "#EXT-X-RENDITION-REPORT:URI=\"../480p/index.m3u8\",LAST-MSN=7,LAST-PART=2",
            "#EXT-X-RENDITION-REPORT:URI=\"../audio/index.m3u8\",LAST-MSN=7,LAST-PART=3",
        ])
    }

    @Test func deltaUpdateSkipsSegmentsOlderThanTheSkipBoundary() {
        let t = Fixtures.timeline(segments: 30)
        let full = Fixtures.lines(MediaPlaylist.render(t))
        let delta = Fixtures.lines(MediaPlaylist.render(t, skip: true))
        let skipLine = delta.first { $0.hasPrefix("#EXT-X-SKIP:") }!
        let skipped = Int(skipLine.dropFirst("#EXT-X-SKIP:SKIPPED-SEGMENTS=".count))!
        let fullSegments = full.filter { $0.hasPrefix("seg") }
        let deltaSegments = delta.filter { $0.hasPrefix("seg") }
        #expect(skipped > 0)
        #expect(Array(fullSegments.dropFirst(skipped)) == deltaSegments)
        // What remains covers at least the skip boundary.
        #expect(Double(deltaSegments.count) >= t.configuration.skipUntil - 1)
        #expect(delta.first { $0.hasPrefix("#EXT-X-MEDIA-SEQUENCE") } == full.first { $0.hasPrefix("#EXT-X-MEDIA-SEQUENCE") })
        #expect(delta.contains("#EXT-X-MAP:URI=\"init0.mp4\""))
        var ended = t
        ended.end()
        #expect(!MediaPlaylist.render(ended, skip: true).contains("EXT-X-SKIP"))
    }

    @Test func discontinuityKeepsSequenceNumbersAndCountsDiscontinuities() {
        var t = Fixtures.timeline(segments: 3)
        t.add(Fixtures.cut(first: true, at: t.nextPartID)) // an open segment, closed by the reconnect
        t.markDiscontinuity()
        t.addInit(ByteBuffer(string: "init1"))
        Fixtures.append(&t, segments: 2)
        #expect(t.segments.map(\.msn) == [0, 1, 2, 3, 4, 5])
        #expect(t.segments.map(\.discontinuity) == [false, false, false, false, true, false])
        #expect(t.segments[3].complete)
        // After the pre-reconnect segments are evicted, the sequence counts the discontinuity.
        Fixtures.append(&t, segments: 60)
        let lines = Fixtures.lines(MediaPlaylist.render(t))
        #expect(lines.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1"))
        #expect(!lines.contains("#EXT-X-DISCONTINUITY"))
    }

    @Test func everySegmentHoldsExactlyItsParts() {
        let t = Fixtures.timeline(segments: 3)
        for s in t.segments where s.complete {
            var joined = ByteBuffer()
            for p in s.parts { joined.writeImmutableBuffer(p.data) }
            #expect(s.data == joined)
            #expect(abs(s.duration - s.parts.reduce(0) { $0 + $1.duration }) < 1e-9)
        }
    }
}
