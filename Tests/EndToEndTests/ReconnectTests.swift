import Foundation
import Testing
import TestSupport

/// A host's phone drops off the network and pushes again: the playlists continue after
/// EXT-X-DISCONTINUITY with the same media sequence numbers, and a player reads across it.
@Suite(.serialized) struct ReconnectTests {
    static func msn(_ playlist: String) -> Int? {
        playlist.split(separator: "\n").first { $0.hasPrefix("#EXT-X-MEDIA-SEQUENCE:") }
            .flatMap { Int($0.split(separator: ":")[1]) }
    }

    static func lastSegment(_ playlist: String) -> Int {
        playlist.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("seg"), line.hasSuffix(".m4s") else { return nil }
            return Int(line.dropFirst(3).dropLast(4))
        }.max() ?? -1
    }

    @Test func republishWithinTheGraceContinuesEveryRendition() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let first = try h.rtmpPush(path: "live/again")
        var before = ""
        for _ in 0..<60 where Self.lastSegment(before) < 1 {
            try await Task.sleep(for: .milliseconds(500))
            before = await h.get("live/again/360p/index.m3u8").body
        }
        let segmentsBefore = Self.lastSegment(before)
        #expect(segmentsBefore >= 1, "no segments before the drop: \(before)")
        first.kill() // no FCUnpublish, no deleteStream: the connection just dies

        let second = try h.rtmpPush(path: "live/again")
        defer { second.kill() }
        var after = ""
        for _ in 0..<60 where Self.lastSegment(after) < segmentsBefore + 3 {
            try await Task.sleep(for: .milliseconds(500))
            after = await h.get("live/again/360p/index.m3u8").body
        }
        #expect(after.contains("#EXT-X-DISCONTINUITY"), "\(after)")
        #expect(Self.lastSegment(after) >= segmentsBefore + 3, "the rendition did not continue: \(after)")
        #expect((Self.msn(after) ?? -1) >= (Self.msn(before) ?? 0), "media sequence went back")
        #expect(!after.contains("#EXT-X-ENDLIST"))
        for rendition in ["source", "240p"] {
            let p = await h.get("live/again/\(rendition)/index.m3u8").body
            #expect(p.contains("#EXT-X-DISCONTINUITY"), "\(rendition): \(p)")
        }

        // A real client reads across the discontinuity.
        let probe = try ExternalProcess("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height",
                                                    "-of", "csv=p=0", h.url("live/again/360p/index.m3u8")])
        #expect(await probe.waitForExit(seconds: 60) == 0, "\(probe.errors)")
        #expect(probe.output.contains("h264,640,360"), "\(probe.output)")
        #expect(probe.output.contains("aac"), "\(probe.output)")
    }
}

@Suite(.serialized) struct StreamEndTests {
    @Test func aPublisherThatDoesNotComeBackEndsThePlaylists() async throws {
        let h = try await ServerHarness.start(endGrace: .milliseconds(500))
        defer { Task { await h.stop() } }
        let push = try h.rtmpPush(path: "live/bye")
        var playlist = ""
        for _ in 0..<60 where !playlist.contains("#EXTINF") {
            try await Task.sleep(for: .milliseconds(500))
            playlist = await h.get("live/bye/360p/index.m3u8").body
        }
        #expect(playlist.contains("#EXTINF"))
        push.kill()
        var ended = false
        for _ in 0..<40 where !ended {
            try await Task.sleep(for: .milliseconds(250))
            ended = await h.get("live/bye/360p/index.m3u8").body.contains("#EXT-X-ENDLIST")
        }
        #expect(ended, "no ENDLIST after the publisher left")
        let source = await h.get("live/bye/source/index.m3u8").body
        #expect(source.contains("#EXT-X-ENDLIST"))
        #expect(!source.contains("#EXT-X-PRELOAD-HINT"), "no preload hint after ENDLIST")
    }
}
