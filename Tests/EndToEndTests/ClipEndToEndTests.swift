import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HLS
import Testing
import TestSupport

/// Clips end to end: a live ffmpeg push, `POST /api/v1/streams/{path}/clips`, the MP4 at
/// `/clips/<id>.mp4` checked with ffprobe; `sluice clip` against the live LL-HLS URL and against
/// a directory in the recording layout (built from the live segments over HTTP); refusals.
@Suite(.serialized) struct ClipEndToEndTests {
    static func temporaryDirectory(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// ffmpeg's test pattern with a keyframe every second (25 fps), so clips cut at 1 s steps.
    static func push(_ h: ServerHarness, path: String) throws -> ExternalProcess {
        var args = ServerHarness.testPattern(seconds: 60)
        if let g = args.firstIndex(of: "-g") { args[g + 1] = "25" }
        return try ExternalProcess("ffmpeg", args + ["-f", "flv", "rtmp://127.0.0.1:\(h.server.rtmpPort!)/\(path)"])
    }

    static func post(_ h: ServerHarness, _ path: String, _ body: String, token: String? = nil) async -> (status: Int?, json: [String: Any], headers: [String: String]) {
        var request = URLRequest(url: URL(string: h.url("api/v1/streams/\(path)/clips"))!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let bearer = token ?? h.server.apiToken
        if !bearer.isEmpty { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else {
            return (nil, [:], [:])
        }
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers["\(k)".lowercased()] = "\(v)" }
        return (http.statusCode, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:], headers)
    }

    static func download(_ url: String, range: String? = nil) async throws -> (status: Int, headers: [String: String], data: Data) {
        var request = URLRequest(url: URL(string: url)!)
        if let range { request.setValue(range, forHTTPHeaderField: "Range") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers["\(k)".lowercased()] = "\(v)" }
        return (http.statusCode, headers, data)
    }

    /// A JSON number, whether Foundation made it an Int or a Double.
    func number(_ value: Any?) -> Double? {
        (value as? NSNumber)?.doubleValue ?? (value as? Double) ?? (value as? Int).map(Double.init)
    }

    /// ffprobe: per stream type its packet count; the format duration.
    static func probe(_ file: String) throws -> (packets: [String: Int], duration: Double) {
        let p = try run("/usr/bin/ffprobe", ["-v", "error", "-count_packets", "-show_entries",
                                             "stream=codec_type,nb_read_packets:format=duration", "-of", "json", file])
        #expect(p.status == 0, "\(p.err)")
        let json = (try? JSONSerialization.jsonObject(with: Data(p.out.utf8))) as? [String: Any] ?? [:]
        var packets: [String: Int] = [:]
        for s in json["streams"] as? [[String: Any]] ?? [] {
            packets[s["codec_type"] as? String ?? ""] = Int(s["nb_read_packets"] as? String ?? "") ?? 0
        }
        return (packets, Double((json["format"] as? [String: Any])?["duration"] as? String ?? "") ?? 0)
    }

    /// Complete segments in the live source rendition's playlist.
    static func completeSegments(_ h: ServerHarness, _ path: String) async -> [PlaylistReader.Segment] {
        let text = await h.get("\(path)/source/index.m3u8").body
        return ((try? PlaylistReader.media(text))?.segments ?? []).filter { $0.uri != nil }
    }

    @Test func clipsOfALivePushThroughTheAPIAndTheCommandLine() async throws {
        let clips = try Self.temporaryDirectory("clips")
        let recordings = try Self.temporaryDirectory("recordings")
        defer {
            try? FileManager.default.removeItem(at: clips)
            try? FileManager.default.removeItem(at: recordings)
        }
        let h = try await ServerHarness.start(ladder: "240p:250k") {
            $0.file.clips.directory = clips.path
            $0.file.clips.recordingDirectory = recordings.path
            $0.file.clips.maxClips = 2
        }
        defer { Task { await h.stop() } }
        let push = try Self.push(h, path: "live/clip")
        defer { push.kill() }
        #expect(await eventuallyAsync(within: 40) { await Self.completeSegments(h, "live/clip").count >= 8 })

        // 1. The API: 4 s ending 2 s before the live edge; the cut may add up to a GOP (1 s) each side.
        let answer = await Self.post(h, "live/clip", #"{"from": -6, "to": -2}"#)
        #expect(answer.status == 201, "\(answer)")
        let url = try #require(answer.json["url"] as? String)
        let duration = try #require(number(answer.json["duration"]))
        #expect(answer.headers["location"] == url)
        #expect(answer.json["source"] as? String == "live" && answer.json["rendition"] as? String == "source")
        #expect(duration >= 3.9 && duration <= 6.1, "\(answer.json)")
        #expect((answer.json["start"] as? String).flatMap(ProgramDateTime.parse) != nil)
        let file = try await Self.download(h.url(String(url.dropFirst())))
        #expect(file.status == 200 && file.headers["content-type"] == "video/mp4", "\(file.headers)")
        #expect(file.headers["access-control-allow-origin"] == "*")
        let mp4 = clips.appendingPathComponent("downloaded.mp4.check").path
        try file.data.write(to: URL(fileURLWithPath: mp4))
        let probe = try Self.probe(mp4)
        #expect(abs(probe.duration - duration) < 0.15, "\(probe) vs \(duration)")
        #expect(abs(Double(probe.packets["video"] ?? 0) - duration * 25) <= 2, "\(probe)")
        #expect((probe.packets["audio"] ?? 0) > Int(duration * 40), "\(probe)") // 48 kHz AAC: 46.9 packets/s
        // Byte ranges, for Safari's <video>.
        let head = try await Self.download(h.url(String(url.dropFirst())), range: "bytes=0-99")
        #expect(head.status == 206 && head.data.count == 100)

        // 2. Wall clock and another rendition: 2 s of the 240p rung.
        let segments = await Self.completeSegments(h, "live/clip")
        let pdt = try #require(segments.dropLast(3).last?.programDateTime.flatMap(ProgramDateTime.parse))
        let wall = await Self.post(h, "live/clip", """
            {"from": "\(ProgramDateTime.format(micros: pdt + 200_000))", "to": "\(ProgramDateTime.format(micros: pdt + 2_200_000))", "rendition": "240p"}
            """)
        #expect(wall.status == 201 && wall.json["rendition"] as? String == "240p", "\(wall)")
        let wallDuration = number(wall.json["duration"]) ?? 0
        #expect(wallDuration >= 1.9 && wallDuration <= 4.1, "\(wall.json)")

        // 3. Out of range on a live stream: 416 with what is held.
        let old = await Self.post(h, "live/clip", #"{"from": "2020-01-01T00:00:00Z", "to": "2020-01-01T00:00:10Z"}"#)
        #expect(old.status == 416 && (old.json["error"] as? String)?.contains("holds") == true, "\(old)")
        #expect(await Self.post(h, "live/clip", #"{"from": -5, "to": -1, "rendition": "4k"}"#).status == 416)

        // 4. `sluice clip` against the live LL-HLS URL (multivariant: the highest bandwidth, the source).
        let out = clips.appendingPathComponent("cli.mp4.check").path
        let cli = try await CLITests.run(["clip", h.url("live/clip/index.m3u8"), "--from", "-5", "--to", "-2", "-o", out])
        #expect(cli.status == 0, "\(cli.err)")
        #expect(cli.out.contains("of source"), "\(cli.out)")
        let cliProbe = try Self.probe(out)
        #expect(cliProbe.duration >= 2.9 && cliProbe.duration <= 5.1 && (cliProbe.packets["audio"] ?? 0) > 0, "\(cliProbe)")

        // 5. A recording-layout directory, written from the live segments over HTTP, an hour back
        //    in time: older than the live window, so the API cuts it from the recording.
        let shift: Int64 = 3_600_000_000
        let recording = recordings.appendingPathComponent("live/clip/20261130T170000Z")
        let written = try await Self.writeRecording(h, path: "live/clip", rendition: "source", to: recording, shift: shift)
        let recorded = try #require(written.dropFirst(2).first)
        let fromRecording = await Self.post(h, "live/clip", """
            {"from": "\(ProgramDateTime.format(micros: recorded + 300_000))", "to": "\(ProgramDateTime.format(micros: recorded + 2_300_000))"}
            """)
        #expect(fromRecording.status == 201 && fromRecording.json["source"] as? String == "recording", "\(fromRecording)")
        let recordedDuration = number(fromRecording.json["duration"]) ?? 0
        #expect(recordedDuration >= 1.9 && recordedDuration <= 4.1, "\(fromRecording.json)")
        // The same directory with `sluice clip`, by program time (0 = its first segment).
        let fromDisk = clips.appendingPathComponent("disk.mp4.check").path
        let disk = try await CLITests.run(["clip", recording.path, "--from", "1.5", "--to", "3.5", "-o", fromDisk])
        #expect(disk.status == 0, "\(disk.err)")
        let diskProbe = try Self.probe(fromDisk)
        #expect(diskProbe.duration >= 1.9 && diskProbe.duration <= 4.1 && (diskProbe.packets["video"] ?? 0) > 0, "\(diskProbe)")

        // 6. The clips directory keeps the newest clips.maxClips.
        let kept = try FileManager.default.contentsOfDirectory(atPath: clips.path).filter { $0.hasSuffix(".mp4") }
        #expect(kept.count == 2, "\(kept)")
    }

    /// Writes the live rendition's complete segments in the recording layout (`index.m3u8` →
    /// `<rendition>/index.m3u8`, `init-<n>.mp4`, `seg-<msn>.m4s`), program date-times moved back by
    /// `shift` µs. Returns the (shifted) program date-time of each segment.
    static func writeRecording(_ h: ServerHarness, path: String, rendition: String, to dir: URL, shift: Int64) async throws -> [Int64] {
        let sub = dir.appendingPathComponent(rendition)
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let segments = await completeSegments(h, path)
        var lines = ["#EXTM3U", "#EXT-X-VERSION:9", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD"]
        var maps: [String: Int] = [:]
        var pdts: [Int64] = []
        for s in segments {
            guard let uri = s.uri, let map = s.map, let duration = s.duration,
                  let pdt = s.programDateTime.flatMap(ProgramDateTime.parse) else { continue }
            if maps[map] == nil {
                let n = maps.count
                maps[map] = n
                let data = try await download(h.url("\(path)/\(rendition)/\(map)")).data
                try data.write(to: sub.appendingPathComponent("init-\(n).mp4"))
                lines.append("#EXT-X-MAP:URI=\"init-\(n).mp4\"")
            }
            try await download(h.url("\(path)/\(rendition)/\(uri)")).data.write(to: sub.appendingPathComponent("seg-\(s.msn).m4s"))
            pdts.append(pdt - shift)
            lines += ["#EXT-X-PROGRAM-DATE-TIME:\(ProgramDateTime.format(micros: pdt - shift))", "#EXTINF:\(duration),", "seg-\(s.msn).m4s"]
        }
        lines.append("#EXT-X-ENDLIST")
        try (lines.joined(separator: "\n") + "\n").write(to: sub.appendingPathComponent("index.m3u8"), atomically: true, encoding: .utf8)
        try "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000000\n\(rendition)/index.m3u8\n"
            .write(to: dir.appendingPathComponent("index.m3u8"), atomically: true, encoding: .utf8)
        return pdts
    }

    @Test func malformedAndImpossibleRequestsAreRefused() async throws {
        let clips = try Self.temporaryDirectory("clips")
        defer { try? FileManager.default.removeItem(at: clips) }
        let h = try await ServerHarness.start { $0.file.clips.directory = clips.path; $0.file.clips.maxSpanSeconds = 60 }
        defer { Task { await h.stop() } }
        for body in ["", "not json", "{}", #"{"from": -5}"#, #"{"from": "yesterday", "to": -1}"#, #"{"from": true, "to": -1}"#,
                     #"{"from": -1, "to": -5}"#, #"{"from": 0, "to": 120}"#, #"{"from": -5, "to": -1, "rendition": 7}"#] {
            let answer = await Self.post(h, "live/none", body)
            #expect(answer.status == 400 && answer.json["error"] is String, "\(body): \(answer)")
        }
        let missing = await Self.post(h, "live/none", #"{"from": -5, "to": -1}"#)
        #expect(missing.status == 404 && (missing.json["error"] as? String)?.contains("no stream live/none") == true, "\(missing)")
        #expect(await Self.post(h, "live/none", #"{"from": -5, "to": -1}"#, token: "wrong").status == 401)
        let preflight = await h.request("OPTIONS", "api/v1/streams/live/none/clips", token: "")
        #expect(preflight.status == 204 && preflight.headers["access-control-allow-methods"]?.contains("POST") == true)
        #expect(await h.get("clips/0123456789abcdef.mp4").status == 404)
        #expect(await h.get("clips/..%2F..%2Fetc%2Fpasswd").status == 404)

        // The command line: one error line and a non-zero status.
        let out = clips.appendingPathComponent("x.mp4").path
        let badTime = try await CLITests.run(["clip", h.url("live/none/index.m3u8"), "--from", "soon", "--to", "5", "-o", out])
        #expect(badTime.status != 0 && badTime.err.hasPrefix("Error: --from must be"), "\(badTime.err)")
        let unreachable = try await CLITests.run(["clip", "http://127.0.0.1:9/live/x/index.m3u8", "--from", "0", "--to", "5", "-o", out])
        #expect(unreachable.status != 0 && unreachable.err.hasPrefix("Error: cannot read http://127.0.0.1:9/live/x/index.m3u8"), "\(unreachable.err)")
        #expect(unreachable.err.split(separator: "\n").count == 1, "\(unreachable.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
