import Foundation
import Logging
import SRTTransport
import StreamHub
import Synchronization

/// Accepts SRT pushes (MPEG-TS) and publishes them to the hub.
///
/// The streamid names the path: `#!::r=live/demo,m=publish` (or just `live/demo`). A
/// passphrase, when the policy gives one for the path, is enforced by libsrt itself.
public final class SRTIngestServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String = "0.0.0.0"
        public var port: Int = 9000
        /// Receiver latency: the loss window SRT can repair by retransmission.
        public var latencyMs: Int = 120
        /// The passphrase a publisher of `path` must use, or nil for none.
        public var passphrase: @Sendable (_ path: String) -> String? = { _ in nil }

        public init(host: String = "0.0.0.0", port: Int = 9000, latencyMs: Int = 120) {
            self.host = host
            self.port = port
            self.latencyMs = latencyMs
        }
    }

    private let listener: SRTListener
    public var port: Int { listener.port }

    /// `access` sees the streamid's other keys (`u=`, `s=`, ...) as the query, e.g. `u=alice&s=token`.
    public init(configuration: Configuration, hub: StreamHub, access: any AccessControl = AllowAll(), logger: Logger) throws {
        let sessions = SessionTable()
        let config = configuration
        listener = try SRTListener(host: config.host, port: config.port, latencyMs: config.latencyMs, handlers: SRTListenerHandlers(
            decide: { id, peer in
                guard id.mode == .publish else {
                    // Playback over SRT is not built yet; say so instead of accepting and sending nothing.
                    logger.notice("SRT play (m=request) is not supported yet", metadata: ["peer": "\(peer)", "streamid": "\(id.resource)"])
                    return .reject(code: SRTAcceptDecision.badMode)
                }
                guard let path = SRTIngestServer.path(id.resource) else { return .reject(code: SRTAcceptDecision.badRequest) }
                guard access.authorize(path: path, query: SRTIngestServer.query(id), action: .publish) else {
                    return .reject(code: SRTAcceptDecision.forbidden)
                }
                return .accept(passphrase: config.passphrase(path))
            },
            opened: { connection in
                guard let path = SRTIngestServer.path(connection.streamID.resource) else { connection.close(); return }
                logger.info("SRT publish started", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
                sessions.insert(SRTPublishSession(connection: connection, path: path, hub: hub, logger: logger))
            },
            received: { connection, bytes in
                sessions.get(connection.socket)?.received(bytes)
            },
            closed: { connection in
                sessions.remove(connection.socket)?.closed()
            },
            refused: { raw, peer, reason in
                logger.warning("SRT caller refused: \(reason)", metadata: ["peer": "\(peer)", "streamid": "\(raw)"])
            }
        ))
        logger.info("SRT listening", metadata: ["host": "\(config.host)", "port": "\(listener.port)"])
    }

    public func close() {
        listener.close()
    }

    static func query(_ id: SRTStreamID) -> String {
        var pairs: [(String, String)] = []
        if let u = id.user { pairs.append(("u", u)) }
        if let s = id.session { pairs.append(("s", s)) }
        pairs += id.extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `live/demo` from a streamid resource; nil for an empty or unsafe path.
    static func path(_ resource: String) -> String? {
        let trimmed = resource.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let parts = trimmed.split(separator: "/").filter { !$0.isEmpty }
        guard parts.count >= 2, !parts.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
        return parts.joined(separator: "/")
    }

    final class SessionTable: Sendable {
        private let table = Mutex<[Int32: SRTPublishSession]>([:])
        func insert(_ s: SRTPublishSession) { table.withLock { $0[s.connection.socket] = s } }
        func get(_ socket: Int32) -> SRTPublishSession? { table.withLock { $0[socket] } }
        func remove(_ socket: Int32) -> SRTPublishSession? { table.withLock { $0.removeValue(forKey: socket) } }
    }
}
