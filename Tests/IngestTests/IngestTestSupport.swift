import Access
import Foundation
import Ingest
import Logging
import MediaCore
import NIOCore
import StreamHub
import Synchronization
import Testing
import TestSupport

enum IngestTestSupport {
    static let logger: Logger = {
        var l = Logger(label: "ingest-test")
        l.logLevel = ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"] == "trace" ? .trace
            : ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"] != nil ? .debug : .critical
        return l
    }()

    /// Runs `body` with a server on an ephemeral loopback port; always shuts it down.
    static func withServer<T>(access: any AccessControl = AllowAll(), maxMessageSize: Int = 16 << 20, hub: StreamHub = StreamHub(),
                              configure: (inout RTMPServerConfiguration) -> Void = { _ in },
                              _ body: (RTMPServer, Int) async throws -> T) async throws -> T {
        var configuration = RTMPServerConfiguration(host: "127.0.0.1", port: 0, maxMessageSize: maxMessageSize)
        configure(&configuration)
        let server = RTMPServer(configuration: configuration, hub: hub, access: access, logger: logger)
        let port = try await server.start()
        let result: T
        do {
            result = try await body(server, port)
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
        return result
    }

    /// Polls `condition` until it holds or `seconds` pass. A bound on waiting, not a measurement.
    static func eventually(seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// The brief's command; `fast: true` swaps x264's default preset for ultrafast (no B-frames) to spare CPU.
    static func ffmpegPublish(port: Int, path: String, size: String = "640x360", fast: Bool = true, seconds: Int = 60) throws -> ExternalProcess {
        try ExternalProcess("ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=30",
            "-f", "lavfi", "-i", "sine=f=440",
            "-c:v", "libx264"] + (fast ? ["-preset", "ultrafast"] : []) + ["-g", "30", "-c:a", "aac", "-t", "\(seconds)",
            "-f", "flv", "rtmp://127.0.0.1:\(port)/\(path)",
        ])
    }

    /// ffprobe over RTMP play: the streams it sees, as JSON objects.
    static func ffprobe(port: Int, path: String) async throws -> [[String: Any]] {
        let probe = try ExternalProcess("ffprobe", [
            "-v", "error", "-rw_timeout", "15000000",
            "-show_entries", "stream=codec_name,profile,width,height,sample_rate,channels",
            "-of", "json", "rtmp://127.0.0.1:\(port)/\(path)",
        ])
        let status = await probe.waitForExit(seconds: 30)
        #expect(status == 0, "ffprobe failed: \(probe.errors)")
        let json = try JSONSerialization.jsonObject(with: Data(probe.output.utf8)) as? [String: Any]
        return json?["streams"] as? [[String: Any]] ?? []
    }
}

/// Records what readers of every new stream on a hub receive.
final class HubRecorder: Sendable {
    struct Record {
        var tracks: [TrackInfo] = []
        var units: [MediaUnit] = []
        var discontinuities = 0
        var closed = false
    }
    private let records = Mutex<[String: Record]>([:])

    init(_ hub: StreamHub) {
        hub.onNewStream { [self] stream in
            guard let queue = stream.subscribe(capacity: 100_000) else { return }
            let path = stream.path
            self.records.withLock { $0[path, default: Record()].closed = false }
            Task {
                while let event = await queue.next() {
                    self.records.withLock { r in
                        switch event {
                        case .tracks(let t): r[path, default: Record()].tracks = t
                        case .unit(let u): r[path, default: Record()].units.append(u)
                        case .discontinuity: r[path, default: Record()].discontinuities += 1
                        case .metadata: break
                        }
                    }
                }
                self.records.withLock { $0[path, default: Record()].closed = true }
            }
        }
    }

    func record(_ path: String) -> Record { records.withLock { $0[path] ?? Record() } }
    func unitCount(_ path: String, _ track: TrackKind) -> Int { record(path).units.filter { $0.track == track }.count }
}
