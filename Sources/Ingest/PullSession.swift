import Dispatch
import FFmpegBridge
import Foundation
import Logging
import StreamHub
import Synchronization

/// Pulls one path from a URL libavformat can read (rtmp://, srt:// caller or listener, an HLS
/// playlist, a file) and publishes it to the hub like a push, from a thread of its own;
/// reconnects with backoff (1 s doubling to 30 s) until stopped. Another Sluice is a source
/// like any other: an edge node pulls `rtmp://origin/live/{name}`.
public final class PullSession: Sendable {
    public enum State: String, Sendable, Codable { case connecting, live, backoff, stopped }

    public let path: String
    public let url: String
    private let control = Mutex<(stopped: Bool, state: State, errors: Int, lastError: String?)>((false, .connecting, 0, nil))
    private let wake = DispatchSemaphore(value: 0)

    public init(path: StreamPath, url: String, hub: StreamHub, logger: Logger) {
        self.path = path.value
        let name = path.value.split(separator: "/").last.map(String.init) ?? path.value
        self.url = url.replacingOccurrences(of: "{path}", with: path.value).replacingOccurrences(of: "{name}", with: name)
        let thread = Thread { [self] in run(path: path, hub: hub, logger: logger) }
        thread.name = "pull-\(path)"
        thread.start()
    }

    public var state: State { control.withLock { $0.state } }
    public var lastError: String? { control.withLock { $0.lastError } }
    private var stopped: Bool { control.withLock { $0.stopped } }

    /// Ends the pull within the read timeout (2 s; 12 s over HTTP); the path's stream ends like a publisher's.
    public func stop() {
        control.withLock { $0.stopped = true }
        wake.signal()
    }

    private func run(path: StreamPath, hub: StreamHub, logger: Logger) {
        let shown = Forwarder.masked(url)
        var backoff = 1.0
        while !stopped {
            control.withLock { $0.state = .connecting }
            var claimed: Publisher?
            let started = ContinuousClock.now
            do {
                // rw_timeout (µs): a source that stops sending fails the read instead of hanging.
                // An HLS origin may hold a playlist request until the show has media (Sluice:
                // up to 10 s), so an HTTP source gets longer.
                let http = url.hasPrefix("http://") || url.hasPrefix("https://")
                let demuxer = try Demuxer(url: url, options: ["rw_timeout": http ? "12000000" : "2000000", "probesize": "500000",
                                                              "analyzeduration": "500000"])
                control.withLock { $0.state = .live }
                logger.info("pull started from \(shown)", metadata: ["path": "\(path)"])
                DemuxPublish.run(demuxer, path: path, hub: hub, logger: logger, label: "pull", peer: shown, maxErrors: 3,
                                 shouldStop: { self.stopped }, onEvicted: { [self] in stop() }, onClaimed: { publisher in
                    publisher.describe(PublisherInfo(transport: "pull", remote: shown)) { [self] reason in
                        logger.notice("pull stopped by the server", metadata: ["path": "\(path)", "reason": "\(reason)"])
                        stop()
                    }
                }, claimed: &claimed)
                claimed?.end()
                if stopped { break }
                logger.info("pull from \(shown) ended; reconnecting", metadata: ["path": "\(path)"])
                if claimed != nil, ContinuousClock.now - started > .seconds(30) { backoff = 1 }
            } catch {
                let why = "\(error)".replacingOccurrences(of: url, with: shown)
                control.withLock { $0.errors += 1; $0.lastError = why }
                logger.warning("pull from \(shown) failed: \(why); retrying in \(Int(backoff)) s", metadata: ["path": "\(path)"])
            }
            control.withLock { $0.state = .backoff }
            _ = wake.wait(timeout: .now() + .milliseconds(Int(backoff * 1000)))
            backoff = min(backoff * 2, 30)
        }
        control.withLock { $0.state = .stopped }
        logger.info("pull stopped", metadata: ["path": "\(path)"])
    }
}
