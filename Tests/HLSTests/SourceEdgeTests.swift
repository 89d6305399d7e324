import HLS
import MediaCore
import Testing

/// Sources that misbehave without a new publisher.
@Suite struct SourceEdgeTests {
    @Test func timestampsThatRestartBecomeADiscontinuity() throws {
        let media = SegmenterTests.media
        let stream = HLSStream(path: "live/restart", clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: media.tracks)
        for u in media.units { try r.write(u) }
        for u in media.shifted(by: 4, restartTimestamps: true) { try r.write(u) } // no discontinuity() call
        stream.end()
        let t = r.timeline
        #expect(t.segments.map(\.discontinuity) == [false, false, false, false, true, false, false, false])
        #expect(t.segments.map(\.msn) == Array(0..<8))
    }

    @Test func aRenditionWithoutTracksRefusesMediaInsteadOfCrashing() throws {
        let stream = HLSStream(path: "live/empty", clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: [])
        #expect(throws: (any Error).self) { try r.write(SegmenterTests.media.units[0]) }
        stream.end()
    }
}
