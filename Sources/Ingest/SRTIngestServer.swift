import Access
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
    private let sessions: SessionTable
    public var port: Int { listener.port }
    /// Open SRT connections (publishers, readers, callers being admitted).
    public var connectionCount: Int { sessions.count }

    /// `access` sees the streamid's other fields and the resource's query as the query, e.g.
    /// `k=SECRET`, `u=alice&exp=...&token=...`. Static keys and HMAC tokens are checked in the
    /// handshake (the caller gets an SRT reject code); a webhook is asked once the connection is
    /// open, on a task, and its media is dropped until it answers.
    public init(configuration: Configuration, hub: StreamHub, access: any AccessControl = AllowAll(),
                admission: IngestAdmission = IngestAdmission(), logger: Logger) throws {
        let sessions = SessionTable()
        self.sessions = sessions
        let config = configuration
        let skipBudget = config.playSkipBudgetMs ?? Int64(max(1000, 4 * config.latencyMs))
        let refusals = LogThrottle(window: .seconds(10), burst: 10)
        logSink = Self.routeLibraryLog(to: logger)
        let handlers = SRTListenerHandlers(
            decide: { id, peer in
                do throws(SRTRefusal) {
                    if let perIP = admission.perIP, !perIP.wouldAdmit(Self.ip(peer)) {
                        throw SRTRefusal(code: SRTAcceptDecision.overload,
                                         reason: "too many connections from \(Self.ip(peer)) (limits.maxConnectionsPerIP)")
                    }
                    if id.mode == .request {
                        let (path, _) = try SRTIngestServer.admitReader(id, peer: peer, hub: hub, access: access)
                        return .accept(passphrase: config.passphrase(path))
                    }
                    let (path, _) = try SRTIngestServer.admit(id, peer: peer, hub: hub, access: access, admission: admission)
                    return .accept(passphrase: config.passphrase(path.value))
                } catch {
                    return .reject(code: error.code, reason: error.reason)
                }
            },
            opened: { connection in
                let ip = Self.ip(connection.peer)
                if let perIP = admission.perIP {
                    guard perIP.open(ip) else {
                        if let suppressed = perIP.shouldLog() {
                            logger.warning("SRT caller refused: too many connections from \(ip) (limits.maxConnectionsPerIP)",
                                           metadata: ["refused-since-last-line": "\(suppressed)"])
                        }
                        connection.close()
                        return
                    }
                }
                let counted = admission.perIP == nil ? nil : ip
                if connection.streamID.mode == .request {
                    guard let (path, stream) = try? SRTIngestServer.admitReader(connection.streamID, peer: connection.peer, hub: hub,
                                                                               access: access) else {
                        sessions.insert(connection.socket, ip: counted, session: nil)
                        connection.close()
                        return
                    }
                    // A rung's reader is listed with the source's players, as RTMP's are.
                    let source = SRTIngestServer.source(of: stream, hub: hub)
                    let player = SRTPlaySession(connection: connection, path: path, stream: stream, home: source ?? stream,
                                                rendition: source == nil ? "source" : String(path.split(separator: "/").last ?? ""),
                                                skipBudgetMs: skipBudget, logger: logger)
                    sessions.insert(connection.socket, ip: counted, player: player)
                    if player == nil { connection.close() }
                    return
                }
                // `decide` accepted this streamid moments ago; a path refused now is closed.
                guard let (path, decision) = try? SRTIngestServer.admit(connection.streamID, peer: connection.peer, hub: hub,
                                                                         access: access, admission: admission) else {
                    sessions.insert(connection.socket, ip: counted, session: nil)
                    connection.close()
                    return
                }
                let start: @Sendable (AccessDecision) -> SRTPublishSession = { decision in
                    logger.info("SRT caller connected", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
                    return SRTPublishSession(connection: connection, path: path, hub: hub, logger: logger,
                                             firstMediaTimeout: config.firstMediaTimeout, idleTimeout: config.idleTimeout,
                                             credential: decision.credential, maxPublishers: admission.maxPublishers)
                }
                let request = Self.request(connection.streamID, path: path, peer: connection.peer)
                guard access.needsAsyncDecision(request) else {
                    sessions.insert(connection.socket, ip: counted, session: start(decision))
                    return
                }
                // The webhook is asked off the epoll thread; nothing starts for the caller until it answers.
                sessions.insert(connection.socket, ip: counted, session: nil)
                Task {
                    let final = await access.authorize(request)
                    guard final.allowed else {
                        logger.info("SRT publish refused: \(final.reason)", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
                        connection.close()
                        return
                    }
                    sessions.start(connection.socket) { start(final) }
                }
            },
            received: { connection, bytes in
                sessions.get(connection.socket)?.received(bytes)
            },
            closed: { connection in
                let entry = sessions.remove(connection.socket)
                entry?.session?.closed()
                entry?.player?.closed()
                if let ip = entry?.ip { admission.perIP?.close(ip) }
            },
            refused: { raw, peer, reason in
                guard let suppressed = refusals.admit() else { return }
                logger.warning("SRT caller refused: \(reason)", metadata: [
                    "peer": "\(peer)", "streamid": "\(StreamPath.escaped(Self.redacted(raw)))", "refused-since-last-line": "\(suppressed)",
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

    /// A streamid fit for the log: the resource and mode only (keys and tokens stay out).
    static func redacted(_ raw: String) -> String {
        let text = raw.contains("%") ? raw.removingPercentEncoding ?? raw : raw
        guard text.hasPrefix("#!::") else { return String(text.prefix { $0 != "?" }) }
        let kept = text.dropFirst(4).split(separator: ",").filter { $0.hasPrefix("r=") || $0.hasPrefix("m=") }
            .map { $0.prefix { $0 != "?" } }
        return "#!::" + kept.joined(separator: ",")
    }

    /// The address part of libsrt's `ip:port` / `[ip6]:port`.
    static func ip(_ peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        let host = peer[..<colon]
        return host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : String(host)
    }

    static func request(_ id: SRTStreamID, path: StreamPath, peer: String) -> AccessRequest {
        AccessRequest(action: .publish, path: path.value, query: query(id), transport: "srt", remote: peer)
    }

    public func close() {
        listener.close()
        SRTLibrary.removeLogSink(logSink)
    }

    /// The path a caller may publish, or why not, in words a human can act on.
    static func admit(_ id: SRTStreamID, peer: String = "", hub: StreamHub, access: any AccessControl,
                      admission: IngestAdmission = IngestAdmission()) throws(SRTRefusal) -> (StreamPath, AccessDecision) {
        guard id.mode == .publish else {
            throw SRTRefusal(code: SRTAcceptDecision.badMode,
                             reason: "m=\(id.mode.rawValue) is not supported: publish with m=publish, read with m=request")
        }
        let path = try resourcePath(id)
        let decision = access.check(request(id, path: path, peer: peer))
        guard decision.allowed else {
            throw SRTRefusal(code: SRTAcceptDecision.unauthorized, reason: "publishing \(path) refused: \(decision.reason)")
        }
        do {
            try hub.check(path, credential: decision.credential, maxPublishers: admission.maxPublishers())
        } catch {
            throw SRTRefusal(code: SRTAcceptDecision.conflict, reason: "\(error)")
        }
        return (path, decision)
    }

    /// The hub stream a reader may read (the source at `live/x`, a rendition at `live/x/720p`),
    /// or why not. Static keys and tokens only (the handshake is synchronous): a play webhook
    /// is not asked for SRT readers.
    static func admitReader(_ id: SRTStreamID, peer: String = "", hub: StreamHub,
                            access: any AccessControl) throws(SRTRefusal) -> (String, LiveStream) {
        let path = try resourcePath(id)
        func check(_ p: String) -> AccessDecision {
            access.check(AccessRequest(action: .play, path: p, query: query(id), transport: "srt", remote: peer))
        }
        var decision = check(path.value)
        // A rung (`live/x/720p`) is played with the stream's own token, as over HLS.
        if !decision.allowed, hub.stream(path.value)?.isDerived == true, let slash = path.value.lastIndex(of: "/") {
            let source = check(String(path.value[..<slash]))
            if source.allowed { decision = source }
        }
        guard decision.allowed else {
            throw SRTRefusal(code: SRTAcceptDecision.forbidden, reason: "playing \(path) refused: \(decision.reason)")
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

    /// The streamid's fields other than `r` and `m`, then the resource's own query
    /// (`live/x?key=...`): `u=alice&k=SECRET`, `exp=...&token=...`.
    static func query(_ id: SRTStreamID) -> String {
        var pairs: [(String, String)] = []
        if let u = id.user { pairs.append(("u", u)) }
        if let s = id.session { pairs.append(("s", s)) }
        if let t = id.type { pairs.append(("t", t)) }
        pairs += id.extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        var query = pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let parts = id.resource.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2, !parts[1].isEmpty { query += (query.isEmpty ? "" : "&") + parts[1] }
        return query
    }

    /// Open connections: their session once started (nil while the webhook is asked) and the
    /// address counted against the per-IP limit.
    final class SessionTable: Sendable {
        struct Entry {
            var session: SRTPublishSession?
            var player: SRTPlaySession?
            var ip: String?
        }
        var count: Int { table.withLock { $0.count } }
        func insert(_ socket: Int32, ip: String?, player: SRTPlaySession?) {
            table.withLock { $0[socket] = Entry(session: nil, player: player, ip: ip) }
        }
        private let table = Mutex<[Int32: Entry]>([:])
        func insert(_ socket: Int32, ip: String?, session: SRTPublishSession?) {
            table.withLock { $0[socket] = Entry(session: session, player: nil, ip: ip) }
        }
        func get(_ socket: Int32) -> SRTPublishSession? { table.withLock { $0[socket]?.session } }
        func remove(_ socket: Int32) -> Entry? { table.withLock { $0.removeValue(forKey: socket) } }
        /// Starts the session of a connection still open (not if it closed meanwhile).
        func start(_ socket: Int32, _ make: () -> SRTPublishSession) {
            table.withLock { t in
                guard t[socket] != nil, t[socket]?.session == nil else { return }
                t[socket]?.session = make()
            }
        }
    }
}
