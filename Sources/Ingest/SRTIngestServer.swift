import Foundation
import Logging
import SRTTransport
import StreamHub
import Synchronization

/// Accepts SRT pushes (MPEG-TS) and publishes them to the hub, and serves SRT readers.
///
/// The streamid names the path: `#!::r=live/demo,m=publish` (or just `live/demo`) publishes;
/// `#!::r=live/demo,m=request` (or `#!::r=live/demo`) reads the source, `r=live/demo/720p` a
/// rendition. A passphrase, when the policy gives one for the path, is enforced by libsrt itself.
public final class SRTIngestServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String = "0.0.0.0"
        public var port: Int = 9000
        /// Receiver latency: the loss window SRT can repair by retransmission.
        public var latencyMs: Int = 120
        /// The passphrase a publisher of `path` must use, or nil for none.
        public var passphrase: @Sendable (_ path: String) -> String? = { _ in nil }
        /// A caller that sends no MPEG-TS the demuxer can read within this is closed (it never
        /// touches a live stream on its path).
        public var firstMediaTimeout: Duration = .seconds(5)
        /// A publisher that sends nothing for this long is closed.
        public var idleTimeout: Duration = .seconds(10)
        /// Callers beyond this many open connections are rejected (each costs a thread).
        public var maxConnections = 100
        /// A reader more than this far behind (hub queue + libsrt's send buffer) skips to the
        /// next keyframe. Nil: 4 × the latency, at least 1 s.
        public var playSkipBudgetMs: Int64?

        public init(host: String = "0.0.0.0", port: Int = 9000, latencyMs: Int = 120) {
            self.host = host
            self.port = port
            self.latencyMs = latencyMs
        }
    }

    private let listener: SRTListener
    private let logSink: Int
    public var port: Int { listener.port }
    private let sessions: SessionTable
    /// SRT callers connected now (metrics).
    public var connectionCount: Int { sessions.count }

    /// `access` sees the streamid's other keys (`u=`, `s=`, ...) as the query, e.g. `u=alice&s=token`.
    public init(configuration: Configuration, hub: StreamHub, access: any AccessControl = AllowAll(), logger: Logger) throws {
        let sessions = SessionTable()
        let players = PlayerTable()
        self.sessions = sessions
        let config = configuration
        let skipBudget = config.playSkipBudgetMs ?? Int64(max(1000, 4 * config.latencyMs))
        let refusals = LogThrottle(window: .seconds(10), burst: 10)
        logSink = Self.routeLibraryLog(to: logger)
        let handlers = SRTListenerHandlers(
            decide: { id, _ in
                do throws(SRTRefusal) {
                    if id.mode == .request {
                        let (path, _) = try SRTIngestServer.admitReader(id, hub: hub, access: access)
                        return .accept(passphrase: config.passphrase(path))
                    }
                    let path = try SRTIngestServer.admit(id, hub: hub, access: access)
                    return .accept(passphrase: config.passphrase(path.value))
                } catch {
                    return .reject(code: error.code, reason: error.reason)
                }
            },
            opened: { connection in
                if connection.streamID.mode == .request {
                    guard let (path, stream) = try? SRTIngestServer.admitReader(connection.streamID, hub: hub, access: access) else {
                        connection.close()
                        return
                    }
                    // A rung's reader is listed with the source's players, as RTMP's are.
                    let source = SRTIngestServer.source(of: stream, hub: hub)
                    guard let player = SRTPlaySession(connection: connection, path: path, stream: stream, home: source ?? stream,
                                                      rendition: source == nil ? "source" : String(path.split(separator: "/").last ?? ""),
                                                      skipBudgetMs: skipBudget, logger: logger) else {
                        connection.close()
                        return
                    }
                    players.insert(player)
                    return
                }
                // `decide` accepted this streamid moments ago; a path refused now is closed.
                guard let path = try? SRTIngestServer.admit(connection.streamID, hub: hub, access: access) else {
                    connection.close()
                    return
                }
                logger.info("SRT caller connected", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
                sessions.insert(SRTPublishSession(connection: connection, path: path, hub: hub, logger: logger,
                                                  firstMediaTimeout: config.firstMediaTimeout, idleTimeout: config.idleTimeout))
            },
            received: { connection, bytes in
                sessions.get(connection.socket)?.received(bytes)
            },
            closed: { connection in
                players.remove(connection.socket)?.closed()
                sessions.remove(connection.socket)?.closed()
            },
            refused: { raw, peer, reason in
                guard let suppressed = refusals.admit() else { return }
                logger.warning("SRT caller refused: \(reason)", metadata: [
                    "peer": "\(peer)", "streamid": "\(StreamPath.escaped(raw))", "refused-since-last-line": "\(suppressed)",
                ])
            }
        )
        do {
            listener = try SRTListener(host: config.host, port: config.port, latencyMs: config.latencyMs,
                                       maxConnections: config.maxConnections, handlers: handlers)
        } catch {
            SRTLibrary.removeLogSink(logSink)
            throw error
        }
        logger.info("SRT listening", metadata: ["host": "\(config.host)", "port": "\(listener.port)"])
    }

    public func close() {
        listener.close()
        SRTLibrary.removeLogSink(logSink)
    }

    /// The path a caller may publish, or why not, in words a human can act on.
    static func admit(_ id: SRTStreamID, hub: StreamHub, access: any AccessControl) throws(SRTRefusal) -> StreamPath {
        guard id.mode == .publish else {
            throw SRTRefusal(code: SRTAcceptDecision.badMode,
                             reason: "m=\(id.mode.rawValue) is not supported: publish with m=publish, read with m=request")
        }
        let path = try resourcePath(id)
        guard access.authorize(path: path.value, query: query(id), action: .publish) else {
            throw SRTRefusal(code: SRTAcceptDecision.forbidden, reason: "publishing \(path) is not allowed")
        }
        do {
            try hub.check(path)
        } catch {
            throw SRTRefusal(code: SRTAcceptDecision.conflict, reason: "\(error)")
        }
        return path
    }

    /// The hub stream a reader may read (the source at `live/x`, a rendition at `live/x/720p`),
    /// or why not.
    static func admitReader(_ id: SRTStreamID, hub: StreamHub, access: any AccessControl) throws(SRTRefusal) -> (String, LiveStream) {
        let path = try resourcePath(id)
        guard access.authorize(path: path.value, query: query(id), action: .play) else {
            throw SRTRefusal(code: SRTAcceptDecision.forbidden, reason: "playing \(path) is not allowed")
        }
        guard let stream = hub.stream(path.value) else {
            throw SRTRefusal(code: SRTAcceptDecision.notFound, reason: "\(path) is not published")
        }
        return (path.value, stream)
    }

    /// The source stream of a rendition (`live/x` for `live/x/720p`); nil for a source.
    static func source(of stream: LiveStream, hub: StreamHub) -> LiveStream? {
        guard stream.isDerived, let slash = stream.path.lastIndex(of: "/") else { return nil }
        return hub.stream(String(stream.path[..<slash]))
    }

    private static func resourcePath(_ id: SRTStreamID) throws(SRTRefusal) -> StreamPath {
        let resource = id.resource.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard !resource.isEmpty else {
            throw SRTRefusal(code: SRTAcceptDecision.badRequest,
                             reason: "no streamid: name the stream in the caller's URL, e.g. srt://host:port?streamid=live/<name>")
        }
        do {
            return try StreamPath(validating: resource)
        } catch {
            throw SRTRefusal(code: SRTAcceptDecision.badRequest, reason: "bad stream name: \(error)")
        }
    }

    /// libsrt's own lines (e.g. a flood of spoofed handshakes) go through the server's logger,
    /// a few per 10 s.
    private static func routeLibraryLog(to logger: Logger) -> Int {
        let throttle = LogThrottle(window: .seconds(10), burst: 5)
        return SRTLibrary.addLogSink(level: 3) { level, area, message in
            guard let suppressed = throttle.admit() else { return }
            logger.log(level: level <= 3 ? .warning : .notice, "libsrt: \(area.isEmpty ? "" : area + ": ")\(StreamPath.escaped(message, limit: 300))",
                       metadata: suppressed > 0 ? ["suppressed-since-last-line": "\(suppressed)"] : [:])
        }
    }

    static func query(_ id: SRTStreamID) -> String {
        var pairs: [(String, String)] = []
        if let u = id.user { pairs.append(("u", u)) }
        if let s = id.session { pairs.append(("s", s)) }
        pairs += id.extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    final class PlayerTable: Sendable {
        private let table = Mutex<[Int32: SRTPlaySession]>([:])
        func insert(_ s: SRTPlaySession) { table.withLock { $0[s.connection.socket] = s } }
        func remove(_ socket: Int32) -> SRTPlaySession? { table.withLock { $0.removeValue(forKey: socket) } }
    }

    final class SessionTable: Sendable {
        private let table = Mutex<[Int32: SRTPublishSession]>([:])
        func insert(_ s: SRTPublishSession) { table.withLock { $0[s.connection.socket] = s } }
        func get(_ socket: Int32) -> SRTPublishSession? { table.withLock { $0[socket] } }
        func remove(_ socket: Int32) -> SRTPublishSession? { table.withLock { $0.removeValue(forKey: socket) } }
        var count: Int { table.withLock { $0.count } }
    }
}
