import Foundation
import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// The recorder on a real packager: the VOD playlist writes and reads back, a recording of a
/// stream is a complete HLS tree every frame of which ffprobe reads, a second recorder on the
/// same directory (a restart) continues an unfinished recording after a discontinuity, and
/// retention removes old recordings.
@Suite(.serialized) struct RecordingTests {
    static func temporaryDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-rec-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func playlistRoundTripsWithDiscontinuitiesInitsAndExtraTags() {
        let segments = [
            RecordedSegment(msn: 0, duration: 2.0, programDateTime: 1_764_525_600_000_000, discontinuity: false, initIndex: 0),
            RecordedSegment(msn: 1, duration: 1.96, programDateTime: 1_764_525_602_000_000, discontinuity: false, initIndex: 0,
                            extraTags: ["#EXT-X-DATERANGE:ID=\"p1\",START-DATE=\"2025-11-30T18:00:02.500Z\",X-PRODUCT=\"42\""]),
            RecordedSegment(msn: 2, duration: 2.04, programDateTime: 1_764_525_700_000_000, discontinuity: true, initIndex: 1),
        ]
        let running = RecordingPlaylist.render(segments, finished: false)
        #expect(running.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && !running.contains("#EXT-X-ENDLIST"))
        #expect(running.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-1.mp4\"\n"))
        #expect(running.contains("X-PRODUCT=\"42\"\n#EXTINF:1.96000,\nseg-1.m4s\n"))
        let parsed = RecordingPlaylist.parse(running)
        #expect(parsed?.finished == false)
        #expect(parsed?.segments == segments)
        let done = RecordingPlaylist.render(segments, finished: true)
        #expect(done.contains("#EXT-X-PLAYLIST-TYPE:VOD") && done.hasSuffix("#EXT-X-ENDLIST\n"))
        #expect(RecordingPlaylist.parse(done)?.finished == true)
        // A tag line with a line break could inject URIs: left out.
        var bad = segments[0]
        bad.extraTags = ["#EXT-X-DATERANGE:ID=\"x\"\nevil.m4s", "not a tag"]
        #expect(!RecordingPlaylist.render([bad], finished: true).contains("evil"))
    }

    @Test func idsAndComponentsAreChecked() {
        #expect(RecordingID.isID("20261130T180000Z"))
        #expect(!RecordingID.isID("20261130T18000Z") && !RecordingID.isID("..") && !RecordingID.isID("2026113xT180000Z"))
        #expect(RecordingID.date(RecordingID.make(Date(timeIntervalSince1970: 1_764_525_600))) == Date(timeIntervalSince1970: 1_764_525_600))
        #expect(RecordingID.safeStreamPath("live/shop") == ["live", "shop"])
        for bad in ["../x", "live/..", "live//x", "/live", "live/.hidden", "live/a b", "live/x%2f"] {
            #expect(RecordingID.safeStreamPath(bad) == nil, "\(bad)")
        }
    }

    /// Feeds `media` into a fresh stream's `source` rendition and ends it when `end`.
    static func feed(_ media: TestMedia, into stream: HLSStream, units: [MediaUnit]? = nil, end: Bool) throws {
        let r = try stream.rendition(name: "source", tracks: media.tracks, isSource: true)
        for u in units ?? media.units { try r.write(u) }
        if end { stream.end() }
    }

    static func videoFrames(_ playlist: String) throws -> Int {
        let probe = try run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                  "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", playlist], timeout: 60)
        // One line per program and per stream, all the same count.
        return Int(probe.out.split(separator: "\n").first ?? "") ?? -1
    }

    @Test func aRecordedStreamIsAVODTreeWithEveryFrame() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let media = TestMedia.fourSeconds
        let recorder = StreamRecorder(settings: RecordingSettings(directory: dir))
        let stream = HLSStream(path: "live/rec")
        #expect(recorder.start(stream))
        try Self.feed(media, into: stream, end: true)
        await recorder.shutdown()

        let list = recorder.list()
        try #require(list.count == 1)
        let rec = list[0]
        #expect(rec.state == .finished && rec.path == "live/rec" && rec.renditions == ["source"])
        let root = "\(dir)/live/rec/\(rec.id)"
        let multivariant = try String(contentsOfFile: root + "/index.m3u8", encoding: .utf8)
        #expect(multivariant.contains("#EXT-X-STREAM-INF:") && multivariant.contains("source/index.m3u8"))
        let media0 = try String(contentsOfFile: root + "/source/index.m3u8", encoding: .utf8)
        #expect(media0.contains("#EXT-X-PLAYLIST-TYPE:VOD") && media0.contains("#EXT-X-ENDLIST"))
        #expect(media0.contains("#EXT-X-MAP:URI=\"init-0.mp4\"") && media0.contains("#EXT-X-PROGRAM-DATE-TIME:"))
        #expect(FileManager.default.fileExists(atPath: root + "/source/seg-0.m4s"))
        let frames = try Self.videoFrames(root + "/source/index.m3u8")
        #expect(frames == media.videoUnits.count, "\(frames) frames of \(media.videoUnits.count)\n\(media0)")
    }

    /// Issue 14: events are recorded with the show. The recorded segment carries the part's emsg
    /// byte for byte, and the recorded playlist lists the same EXT-X-DATERANGE as the live one.
    @Test func anEventPostedDuringARecordingIsInTheReplayAtTheSameMoment() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let media = TestMedia.fourSeconds
        let recorder = StreamRecorder(settings: RecordingSettings(directory: dir))
        let stream = HLSStream(path: "live/ev")
        #expect(recorder.start(stream))
        let r = try stream.rendition(name: "source", tracks: media.tracks, isSource: true)
        let half = try #require(media.units.firstIndex { $0.track == .video && $0.ptsSeconds >= 1.5 })
        for u in media.units[..<half] { try r.write(u) }
        let event = try stream.events.post(at: .now, type: "product", payload: #"{"sku":"A-1"}"#, id: "drop-1")
        for u in media.units[half...] { try r.write(u) }
        let live = try #require(r.timeline.segments.first { $0.parts.contains { !$0.events.isEmpty } })
        stream.end()
        await recorder.shutdown()

        let rec = try #require(recorder.list().first)
        let root = "\(dir)/live/ev/\(rec.id)/source"
        let playlist = try String(contentsOfFile: root + "/index.m3u8", encoding: .utf8)
        let expected = MediaPlaylist.dateRange(event, segment: live).trimmingCharacters(in: .newlines)
        #expect(playlist.components(separatedBy: "\n").filter { $0.hasPrefix("#EXT-X-DATERANGE") } == [expected], "\(playlist)")
        // The line sits just before the EXTINF of the segment that carries the event.
        let lines = playlist.components(separatedBy: "\n")
        let at = try #require(lines.firstIndex(of: expected))
        let segmentFile = try #require(lines[at...].first { $0.hasPrefix("seg-") })
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + segmentFile)))
        let emsgs = try MP4BoxReader.boxes(bytes[...]).filter { $0.type == "emsg" }.map { try EventMessageBox(parsing: $0.box) }
        #expect(emsgs.map(\.id) == [event.sequence])
    }

    @Test func aRestartContinuesTheUnfinishedRecordingAfterADiscontinuity() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let media = TestMedia.fourSeconds
        // The first server: killed mid-show (no ENDLIST: its recorder never finishes).
        let first = StreamRecorder(settings: RecordingSettings(directory: dir))
        let stream1 = HLSStream(path: "live/crash")
        first.start(stream1)
        try Self.feed(media, into: stream1, end: false)
        // Everything completed is on disk; the open segment (being cut) is what the crash loses.
        let complete = stream1.rendition(named: "source")?.timeline.segments.filter(\.complete).count ?? 0
        try #require(complete >= 1)
        try #require(await eventually(within: 20) { first.status("live/crash")?.segments == complete })
        stream1.observeSegments(nil)
        let before = first.list()
        try #require(before.count == 1)
        #expect(before[0].state == .recording)
        let id = before[0].id
        let kept = before[0].segments

        let second = StreamRecorder(settings: RecordingSettings(directory: dir))
        let stream2 = HLSStream(path: "live/crash")
        second.start(stream2)
        try Self.feed(media, into: stream2, end: true)
        await second.shutdown()
        let after = second.list()
        try #require(after.count == 1)
        #expect(after[0].id == id && after[0].state == .finished)
        #expect(after[0].segments > kept)
        let text = try String(contentsOfFile: "\(dir)/live/crash/\(id)/source/index.m3u8", encoding: .utf8)
        let parsed = try #require(RecordingPlaylist.parse(text))
        #expect(parsed.finished)
        #expect(parsed.segments.filter(\.discontinuity).count == 1)
        #expect(parsed.segments[kept].discontinuity && parsed.segments[kept].initIndex == 1)
        #expect(parsed.segments.map(\.msn) == Array(0..<parsed.segments.count))
        // Both runs' frames play: the kept segments of the first and all of the second.
        #expect(try Self.videoFrames("\(dir)/live/crash/\(id)/source/index.m3u8") > media.videoUnits.count)
        _ = first // abandoned, as a killed server's would be: never finished
    }

    @Test func retentionRemovesTheOldestButNeverTheOneBeingWritten() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Three old recordings of 1 MiB each, made by hand in the layout.
        for (i, id) in ["20200101T000000Z", "20200102T000000Z", RecordingID.make(Date().addingTimeInterval(-60))].enumerated() {
            let r = "\(dir)/live/old\(i)/\(id)/source"
            try FileManager.default.createDirectory(atPath: r, withIntermediateDirectories: true)
            try Data(count: 1 << 20).write(to: URL(fileURLWithPath: r + "/seg-0.m4s"))
            try RecordingPlaylist.render([RecordedSegment(msn: 0, duration: 2, programDateTime: 0, discontinuity: false, initIndex: 0)],
                                         finished: true).write(toFile: r + "/index.m3u8", atomically: true, encoding: .utf8)
        }
        let media = TestMedia.fourSeconds
        // Older than 30 days goes; then the total over 1 MiB removes the third (the running one stays).
        let recorder = StreamRecorder(settings: RecordingSettings(directory: dir, maxAgeSeconds: 30 * 86_400, maxTotalBytes: 1 << 20,
                                                            retentionIntervalSeconds: 1))
        let stream = HLSStream(path: "live/now")
        recorder.start(stream)
        try Self.feed(media, into: stream, end: false)
        try #require(await eventually(within: 20) { recorder.status("live/now")?.segments ?? 0 >= 1 })
        #expect(await eventually(within: 20) { recorder.list().map(\.path).sorted() == ["live/now"] },
                "\(recorder.list().map(\.path))")
        stream.end()
        await recorder.shutdown()
        #expect(recorder.list().map(\.path) == ["live/now"])
    }
}
