import Foundation
import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// Real media (ffmpeg-made H.264 + AAC) through the libavformat fMP4 packager.
@Suite struct SegmenterTests {
    static let media = TestMedia.fourSeconds

    static func packaged(_ media: TestMedia = media) throws -> (HLSStream, RenditionTimeline) {
        let stream = HLSStream(path: "live/seg", clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: media.tracks, isSource: true)
        for u in media.units { try r.write(u) }
        r.end()
        return (stream, r.timeline)
    }

    @Test func partsNeverExceedThePartTargetAndOnlyIndependentOrLastPartsAreShort() throws {
        let (_, t) = try Self.packaged()
        let target = t.configuration.partTarget
        let parts = t.segments.flatMap(\.parts)
        #expect(parts.count > 10)
        for s in t.segments {
            for (i, p) in s.parts.enumerated() {
                #expect(p.duration <= target + 1e-9)
                if !p.independent && i != s.parts.count - 1 { #expect(p.duration >= 0.85 * target) }
            }
        }
    }

    @Test func segmentsStartAtKeyframesAndIndependentMarksThem() throws {
        let (_, t) = try Self.packaged()
        let keyframes = Self.media.videoUnits.filter(\.isKeyframe).count
        #expect(keyframes == 4)
        #expect(t.segments.count == keyframes)
        #expect(t.segments.allSatisfy { $0.parts.first?.independent == true })
        #expect(t.segments.flatMap(\.parts).filter(\.independent).count == keyframes)
        #expect(t.segments.allSatisfy { $0.duration.rounded() <= Double(t.configuration.targetDuration) })
        #expect(t.segments.allSatisfy { abs($0.duration - 1.0) < 0.05 })
    }

    @Test func initPlusSegmentsDecodeWithEveryFrame() throws {
        let (_, t) = try Self.packaged()
        var file = try #require(t.inits[0])
        for s in t.segments { file.writeImmutableBuffer(s.data) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-seg-\(UUID().uuidString).mp4").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(file.readableBytesView).write(to: URL(fileURLWithPath: path))
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-show_entries",
                                                 "stream=codec_name,nb_read_frames", "-of", "csv=p=0", path])
        #expect(probe.status == 0, "\(probe.err)")
        let lines = probe.out.split(separator: "\n").map(String.init).sorted()
        #expect(lines == ["aac,\(Self.media.units.filter { $0.track == .audio }.count - audioBeforeFirstKeyframe())",
                          "h264,\(Self.media.videoUnits.count)"])
        // Fragments continue one timeline: video dts rises by one frame each time.
        let packets = try run("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=dts_time",
                                                   "-of", "csv=p=0", path])
        let dts = packets.out.split(separator: "\n").compactMap { $0.split(separator: ",").first.flatMap { Double($0) } }
        #expect(dts.count == Self.media.videoUnits.count)
        let steps = zip(dts.dropFirst(), dts).map { $0 - $1 }
        #expect(steps.allSatisfy { $0 > 0.03 && $0 < 0.037 }, "\(steps.filter { !($0 > 0.03 && $0 < 0.037) })")
    }

    /// Audio that precedes the first video keyframe's presentation is dropped (a segment starts at the keyframe).
    func audioBeforeFirstKeyframe() -> Int {
        let first = Self.media.videoUnits.first { $0.isKeyframe }!.ptsSeconds
        return Self.media.units.filter { $0.track == .audio && $0.dtsSeconds < first }.count
    }

    @Test func programDateTimeFollowsTheIngestWallClockOfEachSegmentsKeyframe() throws {
        let (_, t) = try Self.packaged()
        let keyframeClocks = Self.media.videoUnits.filter(\.isKeyframe).map(\.ingestWallClock)
        #expect(t.segments.map(\.programDateTime) == keyframeClocks)
    }

    @Test func reconnectAddsADiscontinuityAndKeepsSequenceNumbers() throws {
        let stream = HLSStream(path: "live/re", clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: Self.media.tracks)
        for u in Self.media.units { try r.write(u) }
        try stream.discontinuity()
        for u in Self.media.shifted(by: 5, restartTimestamps: true) { try r.write(u) }
        stream.end()
        let t = r.timeline
        #expect(t.segments.map(\.msn) == Array(0..<8))
        #expect(t.segments.map(\.discontinuity) == [false, false, false, false, true, false, false, false])
        #expect(t.segments.map(\.initID) == [0, 0, 0, 0, 1, 1, 1, 1])
        let text = MediaPlaylist.render(t)
        #expect(text.components(separatedBy: "#EXT-X-DISCONTINUITY\n").count == 2)
        #expect(text.contains("#EXT-X-MAP:URI=\"init1.mp4\""))
    }

    @Test func multivariantListsCodecsResolutionFrameRateAndMeasuredRates() async throws {
        let stream = HLSStream(path: "live/mv", clock: ManualClock())
        let video = try stream.rendition(name: "src", tracks: Self.media.tracks, isSource: true)
        let audioTrack = try #require(Self.media.tracks.first { $0.kind == .audio })
        let audio = try stream.rendition(name: "audio", tracks: [audioTrack])
        for u in Self.media.units {
            try video.write(u)
            if u.track == .audio { try audio.write(u) }
        }
        let body = try #require(await stream.multivariantPlaylist())
        let lines = Fixtures.lines(body.text)
        #expect(lines.contains("#EXT-X-INDEPENDENT-SEGMENTS"))
        let inf = lines.filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }
        #expect(inf.count == 2)
        let v = inf[0]
        #expect(Fixtures.attribute(v, "CODECS")?.hasPrefix("avc1.") == true)
        #expect(Fixtures.attribute(v, "CODECS")?.hasSuffix(",mp4a.40.2") == true)
        #expect(Fixtures.attribute(v, "RESOLUTION") == "320x240")
        #expect(Fixtures.attribute(v, "FRAME-RATE") == "30.000")
        let peak = try #require(Int(Fixtures.attribute(v, "BANDWIDTH") ?? ""))
        let average = try #require(Int(Fixtures.attribute(inf[0], "AVERAGE-BANDWIDTH") ?? ""))
        // Measured from the stored segments: the bytes we actually hold.
        let t = video.timeline
        let complete = t.segments.filter(\.complete)
        let bits = complete.reduce(0) { $0 + $1.byteCount * 8 }
        let seconds = complete.reduce(0) { $0 + $1.duration }
        #expect(average == Int(Double(bits) / seconds))
        #expect(peak >= average)
        #expect(Fixtures.attribute(inf[1], "CODECS") == "mp4a.40.2")
        #expect(Fixtures.attribute(inf[1], "RESOLUTION") == nil)
        #expect(lines.contains("src/index.m3u8") && lines.contains("audio/index.m3u8"))
        stream.end()
    }

    @Test func audioOnlyRenditionCutsIndependentPartsWithinTheTarget() throws {
        let stream = HLSStream(path: "live/aud", clock: ManualClock())
        let audioTrack = try #require(Self.media.tracks.first { $0.kind == .audio })
        let r = try stream.rendition(name: "audio", tracks: [audioTrack])
        for u in Self.media.units where u.track == .audio { try r.write(u) }
        stream.end()
        let parts = r.timeline.segments.flatMap(\.parts)
        #expect(parts.count > 10)
        #expect(parts.allSatisfy { $0.independent && $0.duration <= 0.25 })
        #expect(r.timeline.segments.allSatisfy { $0.duration.rounded() <= 2 })
    }
}
