import Foundation
import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// Opus (OpusHead extradata, as the transcoder emits it) in fMP4, and the end-of-stream edges.
@Suite struct OpusAndEndTests {
    static func opusMedia() throws -> TestMedia {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-opus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.mkv").path
        let made = try run("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                                               "sine=frequency=440:sample_rate=48000", "-t", "3", "-c:a", "libopus",
                                               "-b:a", "64k", "-f", "matroska", file])
        #expect(made.status == 0, "\(made.err)")
        return TestMedia.read(file)
    }

    @Test func opusAudioOnlyRenditionDecodes() throws {
        let media = try Self.opusMedia()
        let track = try #require(media.tracks.first)
        #expect(track.codec == .opus)
        let stream = HLSStream(path: "live/opus", clock: ManualClock())
        let r = try stream.rendition(name: "opus", tracks: [track])
        for u in media.units { try r.write(u) }
        stream.end()
        let t = r.timeline
        #expect(t.segments.flatMap(\.parts).allSatisfy { $0.duration <= 0.25 })
        var file = try #require(t.inits[0])
        for s in t.segments { file.writeImmutableBuffer(s.data) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-opus-\(UUID().uuidString).mp4").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(file.readableBytesView).write(to: URL(fileURLWithPath: path))
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-show_entries",
                                                 "stream=codec_name,nb_read_frames", "-of", "csv=p=0", path])
        #expect(probe.status == 0, "\(probe.err)")
        #expect(probe.out.trimmingCharacters(in: .whitespacesAndNewlines) == "opus,\(media.units.count)")
        let body = MultivariantPlaylist.render([r.info])
        #expect(body.contains("CODECS=\"opus\""))
    }

    @Test func writesAfterEndAreIgnoredAndTheRegistryStartsAFreshStream() throws {
        let registry = HLSRegistry()
        let first = registry.stream(path: "live/again", clock: ManualClock())
        let r = try first.rendition(name: "src", tracks: SegmenterTests.media.tracks)
        for u in SegmenterTests.media.units.prefix(60) { try r.write(u) }
        first.end()
        let before = r.timeline.nextPartID
        for u in SegmenterTests.media.units.dropFirst(60) { try r.write(u) }
        #expect(r.timeline.nextPartID == before)
        #expect(registry.stream(path: "live/again", clock: ManualClock()) !== first)
        #expect(registry.stream("live/again")?.isEnded == false)
    }
}
