import Dispatch
import FFmpegBridge
import Foundation
import Logging
import MediaCore
import StreamHub
import Synchronization

/// One restream destination: the source or a rendition of a path, pushed to another server over
/// RTMP, RTMPS (libavformat's TLS) or SRT (caller), from a thread of its own. It reads the hub
/// through a bounded reader queue, so a slow or dead destination loses its own media (to the
/// next keyframe), never the publisher's, the transcoder's or another destination's. It
/// reconnects every second for the first 10 s of an outage, then with exponential backoff
/// (2 s doubling to 30 s), and waits for the path while
/// nobody publishes it.
public final class Forwarder: Sendable {
    public enum State: String, Sendable, Codable {
        case waiting, connecting, live, backoff, stopped
    }

    public struct Status: Sendable, Codable, Equatable {
        public var id: Int
        public var path: String
        /// "source" or a rung name.
        public var rendition: String
        /// The destination with any stream key or passphrase masked.
        public var url: String
        public var state: State
        public var bitrateKbps: Int
        public var bytesSent: Int
        public var connects: Int
        public var errors: Int
        public var lastError: String?
        /// Units the destination lost because it was slower than the stream.
        public var droppedUnits: Int
        /// rtmps:// only: whether the server's certificate is verified, and against which CA
        /// file (nil: the system trust store).
        public var verifyTLS: Bool?
        public var caFile: String?
        /// When this destination last became live (Unix seconds), and the seconds from the
        /// first failure of its last outage to that reconnection (nil before any failure).
        public var liveSinceUnix: Double?
        public var lastReconnectSeconds: Double?
    }

    /// How an rtmps:// destination's certificate is checked (libavformat's TLS, GnuTLS on Debian):
    /// by default against the system trust store, with the host name checked too.
    public struct TLSOptions: Sendable, Equatable {
        public var verify: Bool
        /// PEM file of the CA(s) to trust instead of the system store.
        public var caFile: String?
        public init(verify: Bool = true, caFile: String? = nil) {
            self.verify = verify
            self.caFile = caFile
        }
    }

    public let id: Int
    public let path: String
    public let rendition: String
    let url: String
    let tls: TLSOptions
    private let state: Mutex<Status>
    private let control = Mutex<Control>(Control())
    private let wake = DispatchSemaphore(value: 0)

    private struct Control {
        var stopped = false
        var queue: ReaderQueue?
    }

    private static let ids = Atomic<Int>(0)
    static let maxBackoff: Double = 30
    static let quickRetryWindow: Duration = .seconds(10)

    /// Seconds to wait before the next attempt, `outageFor` into an outage. An outage's first 10 s
    /// are retried every second (a platform's server restarts in seconds, and each retry is one
    /// connection attempt), then after `backoff` (2 s at an outage's start), doubling to 30 s.
    static func retryDelay(outageFor: Duration, backoff: inout Double) -> Double {
        guard outageFor >= quickRetryWindow else { return 1 }
        defer { backoff = min(backoff * 2, maxBackoff) }
        return backoff
    }

    /// `url` may contain `{path}` and `{name}` (the path's last segment).
    public init(path: String, rendition: String = "source", url: String, tls: TLSOptions = TLSOptions(),
                hub: StreamHub, logger: Logger) {
        id = Self.ids.add(1, ordering: .relaxed).newValue
        self.tls = tls
        self.path = path
        self.rendition = rendition
        let name = path.split(separator: "/").last.map(String.init) ?? path
        self.url = url.replacingOccurrences(of: "{path}", with: path).replacingOccurrences(of: "{name}", with: name)
        state = Mutex(Status(id: id, path: path, rendition: rendition, url: Self.masked(self.url), state: .waiting, bitrateKbps: 0,
                             bytesSent: 0, connects: 0, errors: 0, lastError: nil, droppedUnits: 0))
        if self.url.lowercased().hasPrefix("rtmps://") {
            state.withLock { $0.verifyTLS = tls.verify; $0.caFile = tls.caFile }
        }
        let thread = Thread { [self] in
            run(hub: hub, logger: logger)
        }
        thread.name = "forward-\(id)"
        thread.start()
    }

    public var status: Status { state.withLock { $0 } }

    /// The hub path this destination reads.
    public var sourcePath: String { rendition == "source" ? path : "\(path)/\(rendition)" }

    /// Stops at once: the thread closes its connection and ends.
    public func stop() {
        let queue = control.withLock { c -> ReaderQueue? in
            c.stopped = true
            return c.queue
        }
        queue?.close()
        wake.signal()
    }

    /// A stream appeared on the hub: a waiting destination looks again.
    public func streamAppeared() { wake.signal() }

    private var stopped: Bool { control.withLock { $0.stopped } }

    private func update(_ body: (inout Status) -> Void) { state.withLock { body(&$0) } }

    private func run(hub: StreamHub, logger: Logger) {
        var backoff = 2.0
        /// The first failure since this destination was last live.
        var outageStart: ContinuousClock.Instant?
        while !stopped {
            guard let stream = hub.stream(sourcePath),
                  let queue = stream.subscribe(capacity: 1024, byteCapacity: 32 << 20) else {
                update { $0.state = .waiting; $0.bitrateKbps = 0 }
                _ = wake.wait(timeout: .now() + .seconds(5)) // woken by `streamAppeared` or `stop`
                continue
            }
            let registered = control.withLock { c -> Bool in
                guard !c.stopped else { return false }
                c.queue = queue
                return true
            }
            guard registered else { stream.unsubscribe(queue); break }
            let outcome = send(queue, failedAt: outageStart, logger: logger)
            stream.unsubscribe(queue)
            control.withLock { $0.queue = nil }
            switch outcome {
            case .ended:
                backoff = 2
                outageStart = nil
                update { $0.state = .waiting; $0.bitrateKbps = 0 }
            case .failed(let raw, let wasLive):
                var error = raw.replacingOccurrences(of: url, with: Self.masked(url)) // errors quote the URL
                if url.lowercased().hasPrefix("rtmps://"), raw.contains("open "), tls.verify {
                    // GnuTLS's reason goes to the log only; the open fails with a bare I/O error.
                    error += " (rtmps: a refused connection, or the TLS handshake or certificate verification failed; see the log)"
                }
                let now = ContinuousClock.now
                if wasLive || outageStart == nil {
                    outageStart = now
                    backoff = 2
                }
                let delay = Self.retryDelay(outageFor: now - (outageStart ?? now), backoff: &backoff)
                update {
                    $0.state = .backoff
                    $0.errors += 1
                    $0.lastError = error
                    $0.bitrateKbps = 0
                }
                logger.warning("forward to \(Self.masked(url)) failed: \(error); retrying in \(Int(delay)) s",
                               metadata: ["path": "\(path)", "rendition": "\(rendition)"])
                _ = wake.wait(timeout: .now() + .milliseconds(Int(delay * 1000)))
            }
        }
        update { $0.state = .stopped; $0.bitrateKbps = 0 }
    }

    /// `wasLive`: the connection had opened in this session (so a failure starts a new outage).
    private enum Outcome { case ended, failed(String, wasLive: Bool) }

    /// Sends what `queue` delivers until the stream ends, the destination fails, or `stop`.
    private func send(_ queue: ReaderQueue, failedAt: ContinuousClock.Instant?, logger: Logger) -> Outcome {
        let format = url.lowercased().hasPrefix("srt://") ? "mpegts" : "flv"
        var writer: URLWriter?
        /// Tracks announced but not yet connected for (the connection opens at a keyframe).
        var pending: [TrackInfo]?
        var indexOf: [TrackKind: Int] = [:]
        var timeline = ContinuousTimeline(hasVideo: true)
        var lostSeen = queue.lost
        var window: [(at: ContinuousClock.Instant, bytes: Int)] = []
        var sinceFailure = failedAt
        var opened = false
        defer { try? writer?.finish() }
        while true {
            guard let event = queue.next(timeout: .seconds(1)) else {
                if stopped { return .ended }
                if queue.isClosed && queue.count == 0 { return .ended }
                continue
            }
            do {
                switch event {
                case .tracks(let list):
                    let usable = list.filter { Self.carries($0.codec, format: format) }
                    guard !usable.isEmpty else {
                        return .failed("\(format == "flv" ? "RTMP" : "MPEG-TS") cannot carry \(list.map(\.codec.rawValue)); forward a rendition",
                                       wasLive: opened)
                    }
                    if let w = writer, w.tracks.map(\.codec) == usable.map(\.codec) {
                        timeline.gap() // same codecs (a republish): one connection, continuous timestamps
                        continue
                    }
                    // New codecs: a new connection, opened at the next keyframe, by when a
                    // publisher has usually announced all its tracks (RTMP sends video's, then audio's).
                    try writer?.finish()
                    writer = nil
                    pending = usable
                case .discontinuity:
                    timeline.gap()
                case .metadata:
                    break
                case .unit(let unit):
                    if writer == nil, let tracks = pending,
                       unit.isKeyframe && unit.track == .video || !tracks.contains(where: { $0.kind == .video }) {
                        update { $0.state = .connecting; $0.connects += 1 }
                        var options = ["rw_timeout": "5000000"] // µs: a destination that stops reading fails
                        if format == "flv" { options["flvflags"] = "no_duration_filesize" }
                        if url.lowercased().hasPrefix("rtmps://") {
                            // rtmp passes what it does not know on to its tls:// connection.
                            options["tls_verify"] = tls.verify ? "1" : "0"
                            if let ca = tls.caFile { options["ca_file"] = ca }
                        }
                        writer = try URLWriter(url: url, format: format,
                                               tracks: tracks.map { var t = $0; t.timebase = Rational(1, 1_000_000); return t },
                                               options: options)
                        pending = nil
                        opened = true
                        indexOf = Dictionary(tracks.enumerated().map { ($0.element.kind, $0.offset) }, uniquingKeysWith: { a, _ in a })
                        var next = ContinuousTimeline(hasVideo: indexOf[.video] != nil)
                        next.continue(from: timeline)
                        timeline = next
                        let reconnect = sinceFailure.map { ContinuousClock.now - $0 }
                        sinceFailure = nil // a later codec change in this session is no reconnection
                        update {
                            $0.state = .live
                            $0.liveSinceUnix = Date().timeIntervalSince1970
                            if let reconnect {
                                $0.lastReconnectSeconds = Double(reconnect.components.seconds) + Double(reconnect.components.attoseconds) / 1e18
                            }
                        }
                        logger.info("forwarding to \(Self.masked(url))", metadata: ["path": "\(path)", "rendition": "\(rendition)"])
                    }
                    guard let writer, let index = indexOf[unit.track] else { continue }
                    let lost = queue.lost
                    if lost != lostSeen {
                        update { $0.droppedUnits += lost - lostSeen }
                        lostSeen = lost
                        timeline.gap()
                    }
                    let micro = Rational(1, 1_000_000)
                    guard let (dts, pts) = timeline.place(track: index, isVideo: unit.track == .video,
                                                          dts: unit.timebase.rescale(unit.dts, to: micro),
                                                          pts: unit.timebase.rescale(unit.pts, to: micro)) else { continue }
                    try writer.write(track: index, pts: pts, dts: dts, isKeyframe: unit.isKeyframe, data: unit.data)
                    let now = ContinuousClock.now
                    window.append((now, unit.data.readableBytes))
                    while let first = window.first, now - first.at > .seconds(5) { window.removeFirst() }
                    let bits = window.reduce(0) { $0 + $1.bytes } * 8
                    update {
                        $0.bytesSent += unit.data.readableBytes
                        $0.bitrateKbps = bits / 5_000
                    }
                }
            } catch {
                return .failed("\(error)", wasLive: opened)
            }
        }
    }

    static func carries(_ codec: CodecID, format: String) -> Bool {
        switch format {
        case "flv": [.h264, .aac, .mp3].contains(codec) // FFmpeg 5.1's FLV has no HEVC or Opus
        default: codec != .av1
        }
    }

    /// The URL for logs and the API: stream keys and passphrases are secrets.
    static func masked(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return "(unparsable URL)" }
        if parts.password != nil { parts.password = "***" }
        parts.queryItems = parts.queryItems?.map { item in
            ["passphrase", "key", "token", "streamid"].contains(item.name.lowercased()) ? URLQueryItem(name: item.name, value: "***") : item
        }
        if parts.scheme?.lowercased().hasPrefix("rtmp") == true {
            // rtmp://host/app/KEY: the last segment is the stream key.
            var segments = parts.path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            if segments.count >= 3 { segments[segments.count - 1] = "***" }
            parts.path = segments.joined(separator: "/")
        }
        return parts.string ?? "(unparsable URL)"
    }
}
