import HLS
import MediaCore
import NIOCore
import Testing

/// Renditions that start at different keyframes of one source keep the source timeline in
/// their fragments (tfdt), so a player switching between them stays in sync.
@Suite struct TimelineAlignmentTests {
    /// baseMediaDecodeTime of the first track fragment in a moof+mdat part.
    static func firstTFDT(_ part: ByteBuffer) -> UInt64? {
        let bytes = Array(part.readableBytesView)
        guard let at = (0..<(bytes.count - 16)).first(where: { bytes[$0..<($0 + 4)] == [0x74, 0x66, 0x64, 0x74] }) else { return nil }
        let version = bytes[at + 4]
        let width = version == 1 ? 8 : 4
        return bytes[(at + 8)..<(at + 8 + width)].reduce(0) { $0 << 8 | UInt64($1) }
    }

    @Test func aRenditionJoiningAtTheSecondKeyframeHasTheSameFragmentTimes() throws {
        let media = SegmenterTests.media
        let stream = HLSStream(path: "live/align", clock: ManualClock())
        let full = try stream.rendition(name: "a", tracks: media.tracks)
        let late = try stream.rendition(name: "b", tracks: media.tracks)
        let second = try #require(media.videoUnits.filter(\.isKeyframe).dropFirst().first).dtsSeconds
        for u in media.units {
            try full.write(u)
            if u.dtsSeconds >= second { try late.write(u) }
        }
        stream.end()
        let a = full.timeline.segments[1].parts[0].data
        let b = late.timeline.segments[0].parts[0].data
        let ta = try #require(Self.firstTFDT(a))
        let tb = try #require(Self.firstTFDT(b))
        #expect(ta > 0)
        #expect(ta == tb)
    }
}
