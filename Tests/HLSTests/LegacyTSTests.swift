import Foundation
import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// MPEG-TS output for legacy players: the same segments as TS.
@Suite struct LegacyTSTests {
    @Test func everySegmentAlsoExistsAsTSAndDecodes() throws {
        let media = SegmenterTests.media
        let stream = HLSStream(path: "live/ts", configuration: HLSConfiguration(legacyTS: true), clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: media.tracks)
        for u in media.units { try r.write(u) }
        stream.end()
        let t = r.timeline
        #expect(t.segments.count == 4)
        #expect(t.segments.allSatisfy { $0.legacy != nil })
        var all = ByteBuffer()
        for s in t.segments {
            var ts = try #require(r.legacySegment(msn: s.msn))
            #expect(ts.readableBytes % 188 == 0)
            #expect(ts.getInteger(at: ts.readerIndex, as: UInt8.self) == 0x47)
            all.writeBuffer(&ts)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ts-\(UUID().uuidString).ts").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(all.readableBytesView).write(to: URL(fileURLWithPath: path))
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                                 "stream=codec_name,nb_read_frames", "-of", "csv=p=0", path])
        #expect(probe.status == 0, "\(probe.err)")
        // TS lists the stream under its program too: the same line twice.
        #expect(Set(probe.out.split(separator: "\n").map(String.init)) == ["h264,\(media.videoUnits.count)"])

        // One timeline across segments made by separate muxers: video dts rises by one frame each time.
        let packets = try run("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=dts_time",
                                                   "-of", "csv=p=0", path])
        let dts = packets.out.split(separator: "\n").compactMap { $0.split(separator: ",").first.flatMap { Double($0) } }
        #expect(dts.count == media.videoUnits.count, "\(packets.out.prefix(400))")
        let steps = zip(dts.dropFirst(), dts).map { $0 - $1 }
        #expect(steps.allSatisfy { $0 > 0.03 && $0 < 0.037 }, "\(steps.filter { !($0 > 0.03 && $0 < 0.037) })")

        let text = try #require(r.legacyPlaylist()).text
        let lines = Fixtures.lines(text)
        #expect(lines.prefix(2) == ["#EXTM3U", "#EXT-X-VERSION:3"])
        #expect(lines.filter { $0.hasSuffix(".ts") } == t.segments.map { "seg\($0.msn).ts" })
        #expect(!text.contains("EXT-X-PART"))
        #expect(text.hasSuffix("#EXT-X-ENDLIST\n"))
    }

    @Test func legacyOutputIsOffByDefault() throws {
        let stream = HLSStream(path: "live/nots", clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: SegmenterTests.media.tracks)
        for u in SegmenterTests.media.units { try r.write(u) }
        stream.end()
        #expect(r.legacyPlaylist() == nil)
        #expect(r.timeline.segments.allSatisfy { $0.legacy == nil })
    }
}
