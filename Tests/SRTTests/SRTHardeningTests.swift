import Foundation
import Logging
import MediaCore
import SRTTransport
import StreamHub
import Testing
import TestSupport
@testable import Ingest

/// Issue 9: a reader never ends a show (finding 2), one validation for stream names
/// (finding 11), readable refusals and libsrt's log through ours (findings 6 and 13).
@Suite(.serialized) struct SRTHardeningTests {
    static func server(_ log: LogCapture, hub: StreamHub = StreamHub(),
                       _ configure: (inout SRTIngestServer.Configuration) -> Void = { _ in }) throws -> SRTIngestServer {
        var config = SRTIngestServer.Configuration(host: "127.0.0.1", port: 0, latencyMs: 80)
        configure(&config)
        return try SRTIngestServer(configuration: config, hub: hub, logger: log.logger)
    }

    /// Units a reader of `path` receives until `count` arrived or the bound passed; also
    /// whether a takeover (discontinuity) or the end of the stream was seen.
    static func follow(_ queue: ReaderQueue, units count: Int, within seconds: Double) -> (units: Int, discontinuity: Bool, ended: Bool) {
        var units = 0
        var discontinuity = false
        let deadline = Date().addingTimeInterval(seconds)
        while units < count, Date() < deadline {
            switch queue.next(timeout: .milliseconds(100)) {
            case .unit: units += 1
            case .discontinuity: discontinuity = true
            case .tracks, .metadata: continue
            case nil: if queue.isClosed { return (units, discontinuity, true) }
            }
        }
        return (units, discontinuity, false)
    }

    @Test func aCallerThatOnlyReadsNeverEndsTheShow() async throws {
        let log = LogCapture()
        let hub = StreamHub()
        let server = try Self.server(log, hub: hub) { $0.firstMediaTimeout = .seconds(4) }
        defer { server.close() }
        let push = try ffmpegSRTPush(port: server.port, streamID: "live/show", seconds: 60)
        defer { push.kill() }
        #expect(await eventually(within: 10) { hub.stream("live/show")?.unitsIn ?? 0 > 10 })
        let stream = try #require(hub.stream("live/show"))
        let queue = try #require(stream.subscribe(capacity: 100_000))

        // ffprobe on the publisher's own URL: it connects with the same streamid and only reads.
        let probe = try ExternalProcess("ffprobe", ["-v", "error", "-show_streams",
                                                    "srt://127.0.0.1:\(server.port)?streamid=live%2Fshow&latency=120000"])
        // A caller with m=request is a reader: it gets the stream and leaves the show alone.
        let request = try ExternalProcess("ffprobe", ["-v", "error", "-show_streams",
            "srt://127.0.0.1:\(server.port)?streamid=\("#!::r=live/show,m=request".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"])
        #expect(await request.waitForExit(seconds: 20) == 0, "\(request.errors)")
        #expect(request.output.contains("codec_name=h264"), "\(request.output)")
        #expect(await probe.waitForExit(seconds: 20) != 0, "a publish streamid reads nothing: the probe gets no streams")
        // No key is configured, so the live publisher proved none: a second publish streamid is
        // refused in the handshake (1409) instead of being let in.
        #expect(await eventually(within: 10) { log.contains("already being published") })
        #expect(log.contains("SRT play started"))

        // The publisher is still the one publishing: same stream, no takeover, media flowing.
        let after = Self.follow(queue, units: 100, within: 20)
        #expect(after.units == 100 && !after.discontinuity && !after.ended)
        #expect(hub.stream("live/show") === stream && stream.hasPublisher)
        #expect(push.isRunning, "the publisher was not disconnected: \(push.errors)")
    }

    @Test func streamNamesAreValidatedAndOverlapsRefused() async throws {
        let log = LogCapture()
        let hub = StreamHub()
        let server = try Self.server(log, hub: hub)
        defer { server.close() }
        let legit = try ffmpegSRTPush(port: server.port, streamID: "live/legit", seconds: 60)
        defer { legit.kill() }
        #expect(await eventually(within: 10) { hub.stream("live/legit")?.unitsIn ?? 0 > 10 })

        // `live/legit/source` would serve at the legit stream's rendition URL.
        let nested = try ffmpegSRTPush(port: server.port, streamID: "live/legit/source", seconds: 5)
        #expect(await nested.waitForExit(seconds: 15) != 0)
        // ffmpeg 5.1 sends the streamid percent-encoded; %00 must not become a NUL in a path.
        let nul = try ffmpegSRTPush(port: server.port, streamID: "live%2Fevil%00x", seconds: 5, encode: false)
        #expect(await nul.waitForExit(seconds: 15) != 0)
        let dots = try ffmpegSRTPush(port: server.port, streamID: "live/../etc", seconds: 5)
        #expect(await dots.waitForExit(seconds: 15) != 0)

        #expect(hub.paths == ["live/legit"])
        #expect(log.contains("live/legit/source overlaps live/legit, which is in use"))
        #expect(log.contains("contains byte 0x0"))
        #expect(log.contains("has a . or .. segment"))
        #expect(!log.all.contains { $0.contains("\u{0}") }, "the NUL reached the log")
        #expect(legit.isRunning)
    }

    @Test func aCallerWithoutStreamIDIsToldWhatToDo() async throws {
        let log = LogCapture()
        let server = try Self.server(log)
        defer { server.close() }
        let push = try ExternalProcess("ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "3",
            "-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts", "srt://127.0.0.1:\(server.port)?latency=120000",
        ])
        #expect(await push.waitForExit(seconds: 15) != 0)
        #expect(await eventually(within: 5) { log.contains("no streamid: name the stream in the caller's URL") })
        #expect(!log.contains("access control rejected"))
    }

    @Test func aSilentPublisherIsClosed() async throws {
        let log = LogCapture()
        let hub = StreamHub()
        let server = try Self.server(log, hub: hub) { $0.idleTimeout = .seconds(2) }
        defer { server.close() }
        // Two seconds of MPEG-TS, then a stdin that stays open and silent: srt-live-transmit
        // keeps the SRT connection alive (keepalives) but sends no more media.
        let ts = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-quiet-\(UUID().uuidString).ts")
        defer { try? FileManager.default.removeItem(at: ts) }
        let encode = try ExternalProcess("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
                                                    "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "mpegts", ts.path])
        #expect(await encode.waitForExit(seconds: 30) == 0)
        let stdin = Pipe()
        let push = Process()
        push.executableURL = URL(fileURLWithPath: "/usr/bin/srt-live-transmit")
        push.arguments = ["-q", "file://con", "srt://127.0.0.1:\(server.port)?streamid=live/quiet"]
        push.standardInput = stdin
        push.standardOutput = FileHandle.nullDevice
        push.standardError = FileHandle.nullDevice
        try push.run()
        defer {
            _ = Foundation.kill(push.processIdentifier, SIGKILL)
            push.waitUntilExit()
        }
        // srt-live-transmit drops what it reads before its connection is up: feed it after.
        #expect(await eventually(within: 10) { log.contains("SRT caller connected") })
        try stdin.fileHandleForWriting.write(contentsOf: Data(contentsOf: ts)) // then nothing more, pipe left open
        #expect(await eventually(within: 10) { hub.stream("live/quiet") != nil })
        #expect(await eventually(within: 15) { hub.stream("live/quiet") == nil })
        #expect(log.contains("SRT publisher sent nothing for"), "\(log.all)")
    }

    /// A caller that names a stream, then trickles garbage (never silent long enough for the
    /// idle rules) is closed once `firstMediaTimeout` passes without MPEG-TS the demuxer can
    /// read: one line says so, its slot is free again, no stream appears. The bytes wait in the
    /// session's byte-bounded queue meanwhile.
    @Test func aCallerThatTricklesBytesIsClosedAtTheFirstMediaTimeout() async throws {
        let log = LogCapture()
        let hub = StreamHub()
        let server = try Self.server(log, hub: hub) { $0.firstMediaTimeout = .seconds(2) }
        defer { server.close() }
        let caller = try SRTCaller(host: "127.0.0.1", port: server.port, streamID: "live/trickle", latencyMs: 80)
        defer { caller.close() }
        #expect(await eventually(within: 10) { server.connectionCount == 1 })
        let garbage = [UInt8](repeating: 0x11, count: 100) // no MPEG-TS sync byte
        let deadline = Date().addingTimeInterval(30)
        var sent = 0
        while !log.contains("no MPEG-TS the demuxer could read"), Date() < deadline {
            do {
                try garbage.withUnsafeBytes { try caller.send($0) }
                sent += 1
            } catch {
                break // the server closed the connection
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(await eventually(within: 10) { log.contains("no MPEG-TS the demuxer could read within 2") }, "\(log.all)")
        #expect(sent > 0)
        #expect(await eventually(within: 10) { server.connectionCount == 0 })
        #expect(hub.stream("live/trickle") == nil)
    }

    @Test func callersBeyondTheConnectionLimitAreRefused() async throws {
        let log = LogCapture()
        let hub = StreamHub()
        let server = try Self.server(log, hub: hub) { $0.maxConnections = 1 }
        defer { server.close() }
        let first = try ffmpegSRTPush(port: server.port, streamID: "live/one", seconds: 60)
        defer { first.kill() }
        #expect(await eventually(within: 10) { hub.stream("live/one")?.unitsIn ?? 0 > 10 })
        let second = try ffmpegSRTPush(port: server.port, streamID: "live/two", seconds: 5)
        #expect(await second.waitForExit(seconds: 15) != 0)
        #expect(log.contains("1 SRT connections are open already"))
        #expect(hub.paths == ["live/one"])
        #expect(first.isRunning)
    }

    @Test func libsrtLogLinesGoThroughTheServerLoggerThrottled() async throws {
        let log = LogCapture()
        let server = try Self.server(log) { $0.passphrase = { _ in "correcthorsebattery" } }
        defer { server.close() }
        // Callers with the wrong key make libsrt itself complain (at error level).
        let start = ContinuousClock.now
        for _ in 0..<8 {
            let wrong = try ffmpegSRTPush(port: server.port, streamID: "live/k", passphrase: "wrongpassphrase", seconds: 2)
            _ = await wrong.waitForExit(seconds: 10)
        }
        let libsrt = log.all.filter { $0.contains("libsrt:") }
        #expect(!libsrt.isEmpty, "libsrt's lines reach the server's logger")
        // 5 lines per 10 s window: a slow machine (or TSan) may span more than one window.
        let windows = Int((ContinuousClock.now - start) / .seconds(10)) + 1
        #expect(libsrt.count <= 5 * windows, "throttled: \(libsrt.count) lines in \(windows) windows")
    }
}
