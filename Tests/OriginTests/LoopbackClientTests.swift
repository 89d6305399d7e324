import Foundation
import HLS
import MediaCore
import NIOCore
import Origin
import StreamHub
import Testing
import TestSupport

/// Real clients over loopback: the origin serves what a hub publisher sends through HLSFeed.
@Suite(.serialized) struct LoopbackClientTests {
    static let media = TestMedia.fourSeconds

    /// Publishes `units` into `publisher`, `speed`× faster than real time (0: as fast as possible).
    static func publish(_ units: [MediaUnit], to publisher: Publisher, speed: Double) async throws {
        let start = ContinuousClock.now
        let first = units.first?.dtsSeconds ?? 0
        for u in units {
            if speed > 0 {
                let due = start + .milliseconds(Int64((u.dtsSeconds - first) / speed * 1000))
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
            }
            publisher.write(u)
        }
    }

    /// A hub path with an HLS feed into rendition "src" of the registry's stream.
    static func feed(_ hub: StreamHub, _ registry: HLSRegistry, path: String) -> (Publisher, HLSFeed) {
        let publisher = hub.publish(path: path)
        publisher.setTracks(media.tracks)
        let queue = hub.stream(path)!.subscribe(capacity: 4096)!
        let stream = registry.stream(path: path)
        let feed = HLSFeed(queue: queue, stream: stream, rendition: "src")
        return (publisher, feed)
    }

    @Test func ffprobeReadsTheLiveStream() async throws {
        let hub = StreamHub()
        let registry = HLSRegistry()
        let server = try await LoopbackServer.start(registry)
        let (publisher, feed) = Self.feed(hub, registry, path: "live/ff")
        // Live: the media loops with continuing timestamps, at 2× real time, while ffprobe reads.
        let pumping = Task {
            for loop in 0..<6 {
                try await Self.publish(Self.media.shifted(by: 4 * Double(loop), restartTimestamps: false), to: publisher, speed: 2)
            }
        }
        let url = server.url("live/ff/index.m3u8")
        let probe = try await offPool {
            // Wait (bounded) for two complete segments, then probe.
            for _ in 0..<200 where (registry.stream("live/ff")?.rendition(named: "src")?.timeline.segments.filter(\.complete).count ?? 0) < 2 {
                usleep(20_000)
            }
            return try run("/usr/bin/ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height",
                                                "-of", "csv=p=0", url], timeout: 20)
        }
        pumping.cancel()
        publisher.end()
        await feed.stop()
        registry.remove("live/ff")
        try await server.stop()
        #expect(probe.status == 0, "\(probe.err)")
        let lines = Set(probe.out.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ", ")) })
        #expect(lines.contains("h264,320,240"))
        #expect(lines.contains("aac"))
    }

    @Test func gstreamerPlaysAcrossAPublisherReconnectToTheEnd() async throws {
        let hub = StreamHub()
        let registry = HLSRegistry()
        let server = try await LoopbackServer.start(registry)
        let (first, feed) = Self.feed(hub, registry, path: "live/gst")
        try await Self.publish(Self.media.units, to: first, speed: 0)
        // A new publisher takes the path over: timestamps restart, the wall clock goes on.
        let second = hub.publish(path: "live/gst")
        second.setTracks(Self.media.tracks)
        try await Self.publish(Self.media.shifted(by: 4.5, restartTimestamps: true), to: second, speed: 0)
        second.end()
        await feed.finished()
        registry.stream("live/gst")?.end()
        let t = try #require(registry.stream("live/gst")?.rendition(named: "src")?.timeline)
        #expect(t.segments.map(\.discontinuity) == [false, false, false, false, true, false, false, false])

        let url = server.url("live/gst/index.m3u8")
        let result = try await offPool {
            // -v with silent=false: fakesink logs every buffer it gets, so decoded frames can be counted.
            try run("/usr/bin/gst-launch-1.0", ["-v", "playbin", "uri=\(url)", "video-sink=fakesink name=v sync=false silent=false",
                                                "audio-sink=fakesink name=a sync=false"], timeout: 30)
        }
        try await server.stop()
        #expect(result.status == 0, "\(result.out)\n\(result.err)")
        #expect(result.out.contains("EOS"), "\(result.out)")
        #expect(!result.err.contains("ERROR"), "\(result.err)")
        let frames = result.out.split(separator: "\n").filter { $0.contains("/GstFakeSink:v: last-message = chain") }.count
        print("gstreamer decoded \(frames) video frames of \(2 * Self.media.videoUnits.count)")
        #expect(frames == 2 * Self.media.videoUnits.count)
    }

    @Test func ffprobeDecodesTheLegacyTSPlaylistToTheLastFrame() async throws {
        let registry = HLSRegistry()
        let server = try await LoopbackServer.start(registry)
        let stream = registry.stream(path: "live/legacy", configuration: HLSConfiguration(legacyTS: true))
        let r = try stream.rendition(name: "src", tracks: Self.media.tracks)
        for u in Self.media.units { try r.write(u) }
        stream.end()
        let url = server.url("live/legacy/legacy.m3u8")
        let probe = try await offPool {
            try run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                         "-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", url], timeout: 30)
        }
        try await server.stop()
        #expect(probe.status == 0, "\(probe.err)")
        // TS lists the stream under its program too: the same line twice.
        #expect(Set(probe.out.split(separator: "\n").map(String.init)) == ["h264,\(Self.media.videoUnits.count)"])
    }

    @Test func aNewViewerGetsAnIndependentPartAtOnce() async throws {
        let hub = StreamHub()
        let registry = HLSRegistry()
        let server = try await LoopbackServer.start(registry)
        let (publisher, feed) = Self.feed(hub, registry, path: "live/instant")
        // Only the first keyframe and a few frames: no segment is complete yet.
        try await Self.publish(Array(Self.media.units.prefix(30)), to: publisher, speed: 0)
        let base = server.url("live/instant/src/")
        let (playlist, partStatus) = try await offPool { () -> (String, Int32) in
            let list = try run("/usr/bin/curl", ["-sf", "--max-time", "10", base + "index.m3u8"])
            let text = list.out
            let uri = text.split(separator: "\n").first { $0.hasPrefix("#EXT-X-PART:") && $0.contains("INDEPENDENT=YES") }
                .flatMap { $0.split(separator: "\"").dropFirst().first }.map(String.init) ?? "missing"
            let part = try run("/usr/bin/curl", ["-sf", "--max-time", "10", "-o", "/dev/null", base + uri])
            return (text, part.status)
        }
        publisher.end()
        await feed.stop()
        registry.remove("live/instant")
        try await server.stop()
        #expect(!playlist.contains("#EXTINF"))
        #expect(playlist.contains("INDEPENDENT=YES"))
        #expect(partStatus == 0)
    }
}
