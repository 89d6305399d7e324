import Foundation
import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// Clips: the date-time and range parsing, the segment plan, and real cuts through libavformat
/// from a live rendition in memory and from a recording-layout directory (checked with ffprobe).
@Suite struct ClipTests {
    @Test func programDateTimesParseWithZonesAndFractions() {
        #expect(ProgramDateTime.parse("2026-11-30T18:10:00.123Z") == 1_796_062_200_123_000)
        #expect(ProgramDateTime.parse("2026-11-30T19:10:00.123+01:00") == 1_796_062_200_123_000)
        #expect(ProgramDateTime.parse("2026-11-30T17:10:00.123-0100") == 1_796_062_200_123_000)
        #expect(ProgramDateTime.parse("2026-11-30T18:10:00Z") == 1_796_062_200_000_000)
        let now: Int64 = 1_796_062_200_456_000
        #expect(ProgramDateTime.parse(ProgramDateTime.format(micros: now)) == now)
        for bad in ["", "yesterday", "2026-11-30T18:10:00", "2026-13-30T18:10:00Z", "2026-11-30T18:10:00.Z",
                    "2026-11-30T18:10:00Zjunk", "99999-11-30T18:10:00Z", "2026-11-30T18:10:00+99:00"] {
            #expect(ProgramDateTime.parse(bad) == nil, "\(bad)")
        }
        #expect(ClipTime("12.5") == .programTime(12.5))
        #expect(ClipTime("-30") == .programTime(-30))
        #expect(ClipTime("2026-11-30T18:10:00Z") == .wallClock(1_796_062_200_000_000))
        #expect(ClipTime("nan") == nil && ClipTime("1e300") == nil && ClipTime("soon") == nil)
    }

    static let t0: Int64 = 1_796_062_200_000_000

    /// Ten 2 s segments from t0, one init.
    static func listing(discontinuityAt: Int? = nil) -> ClipListing {
        ClipListing(segments: (0..<10).map { i in
            ClipSegment(uri: "seg-\(i)", initURI: discontinuityAt.map { i >= $0 ? "init-1" : "init-0" } ?? "init-0",
                        programDateTime: t0 + Int64(i) * 2_000_000, duration: 2, discontinuity: i == discontinuityAt)
        }, rendition: "source")
    }

    @Test func planPicksTheSegmentsCoveringTheRange() throws {
        let plan = try ClipPlan.make(Self.listing(), from: .wallClock(Self.t0 + 5_000_000), to: .wallClock(Self.t0 + 9_500_000), maxSpan: 600)
        #expect(plan.segments == 2..<5 && plan.from == 1 && plan.to == 5.5 && plan.firstSegmentWallClock == Self.t0 + 4_000_000)
        // Program time: from the first segment; negative: back from the end (20 s).
        let program = try ClipPlan.make(Self.listing(), from: .programTime(5), to: .programTime(9.5), maxSpan: 600)
        #expect(program == plan)
        let edge = try ClipPlan.make(Self.listing(), from: .programTime(-6), to: .programTime(-1), maxSpan: 600)
        #expect(edge.segments == 7..<10 && edge.from == 0 && edge.to == 5)
        // An origin (the publish start) moves program time 0.
        var withOrigin = Self.listing()
        withOrigin.origin = Self.t0 - 10_000_000
        #expect(try ClipPlan.make(withOrigin, from: .programTime(15), to: .programTime(19.5), maxSpan: 600) == plan)
    }

    @Test func planRefusesWhatCannotBeCut() {
        func kind(_ from: ClipTime, _ to: ClipTime, _ listing: ClipListing = ClipTests.listing(), maxSpan: Double = 600) -> ClipError.Kind? {
            do { _ = try ClipPlan.make(listing, from: from, to: to, maxSpan: maxSpan); return nil } catch {
                return (error as? ClipError)?.kind
            }
        }
        #expect(kind(.programTime(5), .programTime(5)) == .malformed)
        #expect(kind(.programTime(8), .programTime(2)) == .malformed)
        #expect(kind(.programTime(0), .programTime(15), maxSpan: 10) == .malformed)
        #expect(kind(.wallClock(Self.t0 - 60_000_000), .wallClock(Self.t0 - 50_000_000)) == .notAvailable)
        #expect(kind(.programTime(30), .programTime(40)) == .notAvailable)
        #expect(kind(.programTime(-40), .programTime(-30)) == .notAvailable)
        #expect(kind(.programTime(2), .programTime(12), Self.listing(discontinuityAt: 4)) == .notAvailable)
        #expect(kind(.programTime(1), .programTime(3), ClipListing(segments: [], rendition: "x")) == .notAvailable)
        // Overhanging the end by less than a segment is clamped, not refused.
        #expect(kind(.programTime(15), .programTime(21)) == nil)
        var noClock = Self.listing()
        for i in noClock.segments.indices { noClock.segments[i].programDateTime = nil }
        #expect(kind(.wallClock(Self.t0), .wallClock(Self.t0 + 1_000_000), noClock) == .malformed)
        #expect(kind(.programTime(2), .programTime(4), noClock) == nil)
    }

    /// 10 s of 30 fps video, a keyframe every second (B-frames), AAC; one segment per GOP.
    static let media = TestMedia.make(seconds: 10, gop: 30)

    static func liveRendition() throws -> HLSRendition {
        let stream = HLSStream(path: "live/clip", configuration: HLSConfiguration(targetDuration: 1), clock: ManualClock())
        let r = try stream.rendition(name: "source", tracks: media.tracks, isSource: true)
        for u in media.units { try r.write(u) }
        stream.end()
        return r
    }

    /// ffprobe's view: per stream codec type, duration and frame count; the format duration.
    static func probe(_ path: String) throws -> (streams: [String: (duration: Double, frames: Int)], duration: Double, moovFirst: Bool) {
        let p = try run("/usr/bin/ffprobe", ["-v", "error", "-count_packets", "-show_entries",
                                             "stream=codec_type,duration,nb_read_packets:format=duration", "-of", "json", path])
        #expect(p.status == 0, "\(p.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(p.out.utf8)) as? [String: Any])
        var streams: [String: (Double, Int)] = [:]
        for s in json["streams"] as? [[String: Any]] ?? [] {
            streams[s["codec_type"] as? String ?? ""] = (Double(s["duration"] as? String ?? "") ?? 0, Int(s["nb_read_packets"] as? String ?? "") ?? 0)
        }
        let format = json["format"] as? [String: Any]
        // faststart: the moov box comes before mdat.
        let head = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(4096)
        let moov = head.range(of: Data("moov".utf8)), mdat = head.range(of: Data("mdat".utf8))
        return (streams, Double(format?["duration"] as? String ?? "") ?? 0, moov != nil && (mdat == nil || moov!.lowerBound < mdat!.lowerBound))
    }

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-clip-\(UUID().uuidString).mp4").path
    }

    @Test func aLiveCutStartsAtTheKeyframeBeforeFromAndEndsWithTheGOPAfterTo() throws {
        let source = LiveClipSource(rendition: try Self.liveRendition())
        let out = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try Clipper.cut(source, from: .programTime(2.5), to: .programTime(5.2), maxSpan: 600, output: out)
        // Keyframes every second: from 2.0 (the one before 2.5) to 6.0 (the end of the GOP covering 5.2).
        #expect(abs(result.duration - 4.0) < 0.05, "\(result)")
        #expect(result.videoFrames == 120)
        let p = try Self.probe(out)
        #expect(p.moovFirst)
        #expect(p.streams["video"]?.frames == 120)
        #expect(abs((p.streams["audio"]?.duration ?? 0) - 4.0) < 0.1, "\(p.streams)")
        #expect(abs(p.duration - 4.0) < 0.15, "\(p.duration)")
    }

    /// The recording layout of the shared plan: `<dir>/index.m3u8` → `<rendition>/index.m3u8`,
    /// `init-<n>.mp4`, `seg-<msn>.m4s`, EXT-X-PROGRAM-DATE-TIME per segment.
    @Test func aRecordingDirectoryIsCutThroughItsPlaylist() throws {
        let r = try Self.liveRendition()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-rec-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = r.timeline
        try Self.writeRecording(t, to: dir, rendition: "source")
        let out = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let first = try #require(t.segments.first?.programDateTime)
        let from = ProgramDateTime.format(micros: first + 3_400_000), to = ProgramDateTime.format(micros: first + 4_900_000)
        let source = try PlaylistClipSource(location: dir.path)
        let result = try Clipper.cut(source, from: try #require(ClipTime(from)), to: try #require(ClipTime(to)), maxSpan: 600, output: out)
        #expect(result.rendition == "source")
        #expect(abs(result.duration - 2.0) < 0.05, "\(result)")
        #expect(result.startWallClock.map { abs($0 - (first + 3_000_000)) < 50_000 } == true, "\(result)")
        let p = try Self.probe(out)
        #expect(p.streams["video"]?.frames == 60 && (p.streams["audio"]?.frames ?? 0) > 80, "\(p.streams)")
        // A rendition that does not exist is named in the refusal.
        #expect(throws: ClipError.self) { try PlaylistClipSource(location: dir.path, rendition: "4k") }
    }

    static func writeRecording(_ t: RenditionTimeline, to dir: URL, rendition: String) throws {
        let sub = dir.appendingPathComponent(rendition)
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\n\(rendition)/index.m3u8\n".write(to: dir.appendingPathComponent("index.m3u8"), atomically: true, encoding: .utf8)
        var lines = ["#EXTM3U", "#EXT-X-VERSION:9", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-MEDIA-SEQUENCE:0"]
        var currentInit = -1
        for s in t.segments where s.complete {
            if s.initID != currentInit {
                currentInit = s.initID
                try Data(t.inits[s.initID]!.readableBytesView).write(to: sub.appendingPathComponent("init-\(s.initID).mp4"))
                lines.append("#EXT-X-MAP:URI=\"init-\(s.initID).mp4\"")
            }
            try Data(s.data.readableBytesView).write(to: sub.appendingPathComponent("seg-\(s.msn).m4s"))
            lines += ["#EXT-X-PROGRAM-DATE-TIME:\(ProgramDateTime.format(micros: s.programDateTime))",
                      "#EXTINF:\(s.duration),", "seg-\(s.msn).m4s"]
        }
        lines.append("#EXT-X-ENDLIST")
        try (lines.joined(separator: "\n") + "\n").write(to: sub.appendingPathComponent("index.m3u8"), atomically: true, encoding: .utf8)
    }
}
