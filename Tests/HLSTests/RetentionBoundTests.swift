import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// Retention by media time alone kept everything when timestamps stalled or frames were huge:
/// every rendition's memory is bounded by bytes and count too.
@Suite struct RetentionBoundTests {
    static let media = TestMedia.fourSeconds

    enum Source: CaseIterable, Sendable { case stalledTimestamps, hugeFrames }

    /// 8 MiB of video (4× the bound) from a source that misbehaves as `source` says.
    static func units(_ source: Source) -> [MediaUnit] {
        let video = media.videoUnits
        var out: [MediaUnit] = []
        var bytes = 0
        var i: Int64 = 0
        while bytes < 8 << 20 {
            for var u in video {
                switch source {
                case .stalledTimestamps:
                    // One tick per frame: the whole feed is well under a second of "media".
                    u.dts = i
                    u.pts = i
                case .hugeFrames:
                    // Real timing (the media looped), every frame 64 KB larger: all of it is
                    // within the retention time.
                    let loop = i / Int64(video.count)
                    let ticksPerSecond = Int64(u.timebase.den) / Int64(max(1, u.timebase.num))
                    u.dts += 4 * loop * ticksPerSecond
                    u.pts += 4 * loop * ticksPerSecond
                    var data = u.data
                    data.writeRepeatingByte(0, count: 64 * 1024)
                    u.data = data
                }
                i += 1
                bytes += u.data.readableBytes
                out.append(u)
            }
        }
        return out
    }

    @Test(arguments: Source.allCases)
    func retainedMediaStaysWithinTheByteAndCountBounds(_ source: Source) throws {
        let configuration = HLSConfiguration(maxRetainedBytes: 1 << 20, maxRetainedSegments: 16)
        let stream = HLSStream(path: "live/bounded", configuration: configuration, clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: Self.media.tracks.filter { $0.kind == .video })
        var peak = 0
        var peakSegments = 0
        for u in Self.units(source) {
            try r.write(u)
            let t = r.timeline
            peak = max(peak, t.retainedBytes)
            peakSegments = max(peakSegments, t.segments.count)
        }
        let t = r.timeline
        #expect(t.nextPartID > 20, "parts are cut whatever the timestamps say")
        #expect(peak <= configuration.maxRetainedBytes + configuration.maxSegmentBytes)
        #expect(peakSegments <= configuration.maxRetainedSegments + 1)
        // What is kept is still a valid playlist: the newest part is listed and downloadable.
        let last = try #require(t.segments.last?.parts.last)
        #expect(r.timeline.part(id: last.id) != nil)
        stream.end()
    }
}
