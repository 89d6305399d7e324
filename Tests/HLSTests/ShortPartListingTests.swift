import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// A non-final part shorter than 85 % of PART-TARGET must not be listed (rfc8216bis 4.4.4.9).
/// The last part of a segment is usually short (the keyframe cuts it); it must appear together
/// with its segment's EXTINF, never alone at the tail of an open segment.
@Suite struct ShortPartListingTests {
    /// Violations of the rule in one playlist version: parts below 85 % of PART-TARGET that are
    /// neither INDEPENDENT nor the last part before an EXTINF.
    static func violations(_ playlist: String, target: Double) -> [String] {
        var out: [String] = []
        var pending: [String] = [] // parts of the current segment, in order
        func check(closed: Bool) {
            for (i, line) in pending.enumerated() {
                if closed && i == pending.count - 1 { continue }
                guard !line.contains("INDEPENDENT=YES"), let d = Fixtures.attribute(line, "DURATION").flatMap(Double.init) else { continue }
                if d < 0.85 * target - 1e-9 { out.append(line) }
            }
            pending = []
        }
        for line in Fixtures.lines(playlist) {
            if line.hasPrefix("#EXT-X-PART:") { pending.append(line) }
            if line.hasPrefix("#EXTINF:") { check(closed: true) }
        }
        check(closed: false)
        return out
    }

    @Test func aSegmentsLastPartArrivesWithItsExtinf() throws {
        var t = RenditionTimeline(configuration: Fixtures.config)
        t.addInit(ByteBuffer(string: "init"))
        for p in 0..<4 { t.add(Fixtures.cut(first: p == 0, at: t.nextPartID, duration: 0.2333)) }
        var last = Fixtures.cut(first: false, at: t.nextPartID, duration: 0.0667)
        last.endsSegment = true
        t.add(last)
        let text = MediaPlaylist.render(t)
        let lines = Fixtures.lines(text)
        let lastPart = try #require(lines.lastIndex { $0.hasPrefix("#EXT-X-PART:") })
        #expect(lines[lastPart + 1].hasPrefix("#EXTINF:"), "\(text)")
        #expect(Self.violations(text, target: 0.25).isEmpty)
        // The next part opens the next segment.
        t.add(Fixtures.cut(first: true, at: t.nextPartID, duration: 0.2333))
        #expect(t.segments.count == 2 && t.segments[0].complete && !t.segments[1].complete)
        #expect(t.segments[0].parts.count == 5)
    }

    /// Real media (30 fps, 1 s GOP, so every segment ends with a 2-frame part) through the
    /// packager one unit at a time, on a manual clock: every playlist version in between keeps
    /// the rule.
    @Test func noPlaylistVersionListsAShortNonFinalPart() throws {
        let clock = ManualClock()
        let stream = HLSStream(path: "live/short", clock: clock)
        let media = TestMedia.fourSeconds
        let r = try stream.rendition(name: "src", tracks: media.tracks, isSource: true)
        let target = r.timeline.configuration.partTarget
        var versions = 0
        var bad: [String] = []
        var previous = ""
        for unit in media.units {
            try r.write(unit)
            if unit.track == .video { clock.advance(by: .milliseconds(33)) }
            let text = MediaPlaylist.render(r.timeline)
            guard text != previous else { continue }
            previous = text
            versions += 1
            bad += Self.violations(text, target: target)
        }
        r.end()
        #expect(versions > 10)
        #expect(bad.isEmpty, "\(bad)")
        // The media does have short last parts: the rule was exercised.
        let short = r.timeline.segments.compactMap { $0.parts.last }.filter { $0.duration < 0.85 * target && !$0.independent }
        #expect(!short.isEmpty)
    }
}
