import Foundation
import Logging
import MediaCore
import NIOCore
import NIOPosix
import StreamHub
import Synchronization
import WebRTC

/// The WHEP viewers and WHIP publishers of one server: negotiates each offer, registers the
/// peer on the one UDP port (`WebRTCTransport`, bound at the first request so a server that
/// never sees WebRTC binds nothing), and keeps the sessions until DELETE, the peer's close or
/// the stream's end.
public final class MediaSessions: Sendable {
    public let settings: MediaSessionSettings
    private let hub: StreamHub
    private let logger: Logger
    private let group: any EventLoopGroup
    /// Asks the ladder for a keyframe on a rendition path (`live/show/720p`); rate-limited here.
    private let requestKeyframe: @Sendable (String) -> Void
    private let state = Mutex(State())

    struct State {
        var sessions: [String: any MediaSession] = [:]
        /// Admitted but not yet registered: counted against `maxSessions` too.
        var pending = 0
        var starting: Task<Started, any Error>?
        var lastKeyframeRequest: [String: ContinuousClock.Instant] = [:]
        var shutDown = false
    }

    struct Started: Sendable {
        let transport: WebRTCTransport
        let certificate: DTLSCertificate
    }

    public init(settings: MediaSessionSettings, hub: StreamHub, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger, requestKeyframe: @escaping @Sendable (String) -> Void = { _ in }) {
        self.settings = settings
        self.hub = hub
        self.group = group
        self.logger = logger
        self.requestKeyframe = requestKeyframe
    }

    /// Sessions open now (viewers and publishers).
    public var count: Int { state.withLock { $0.sessions.count } }

    /// Binds the UDP port and makes the DTLS certificate now, not on the first offer: that cost
    /// the first viewer ~260 ms of its first frame (Docs/Benchmarks.md). A failure is logged and
    /// retried by the next request.
    public func warmUp() {
        Task { _ = try? await self.transport() }
    }

    /// The bound UDP port, once the transport started (`warmUp` or the first request).
    public var udpPort: Int? {
        get async {
            guard let task = state.withLock({ $0.starting }) else { return nil }
            return try? await task.value.transport.localPort
        }
    }

    /// A WHEP viewer of `path` (a stream path) on `rendition` (nil: the top rung, or the stream
    /// itself without a ladder). Returns the session id (its resource is `/whep/sessions/{id}`)
    /// and the SDP answer.
    public func play(path: String, rendition: String?, offer: String, requestHost: String?) async throws(MediaSessionError)
        -> (id: String, answer: String)
    {
        let source = try WHEPSource.resolve(hub: hub, path: path, rendition: rendition)
        try admit()
        defer { state.withLock { $0.pending -= 1 } }
        let started = try await transport()
        let id = Self.randomID()
        let (ufrag, pwd) = (Self.randomString(8), Self.randomString(24))
        let answer: (sdp: String, session: NegotiatedSession)
        let ssrcs = (video: Self.randomSSRC(), audio: Self.randomSSRC())
        func negotiate(_ profile: String?) throws(SDPError) -> (sdp: String, session: NegotiatedSession) {
            try SDPNegotiator.answer(
                offer: offer, role: .whep, localUfrag: ufrag, localPwd: pwd,
                localFingerprintSHA256: started.certificate.fingerprintSHA256,
                candidateIP: candidateIP(requestHost), candidatePort: UInt16(clamping: started.transport.localPort),
                h264ProfileLevelID: profile, ssrcs: ssrcs)
        }
        do {
            answer = try negotiate(source.profileLevelID)
        } catch {
            // Browsers offer constrained baseline, main and high 4:4:4 but rarely plain High
            // (x264's ladder profile); every one of them decodes High whatever was agreed, as
            // MediaMTX and OvenMediaEngine rely on. So a ladder profile nobody offered falls back.
            guard source.profileLevelID != nil, let fallback = try? negotiate(nil) else {
                logger.debug("whep offer refused: \(error)", metadata: ["offer": "\(offer)"])
                throw .badOffer("\(error)")
            }
            answer = fallback
        }
        let session = WHEPSession(id: id, source: source, negotiated: answer.session, playoutDelay: settings.playoutDelayMaxMs.map { PlayoutDelay(minMs: 0, maxMs: $0) },
                                  loop: group.next(), logger: logger,
                                  requestKeyframe: { [weak self] in self?.keyframe(for: source.videoPath) },
                                  onClose: { [weak self] id in self?.remove(id) })
        try register(session, negotiated: answer.session, transport: started.transport)
        // The rung's next keyframe is asked for now, so its encode overlaps ICE and DTLS.
        session.start()
        logger.info("whep viewer", metadata: ["session": "\(id)", "path": "\(source.videoPath)",
                                              "audio": "\(source.audioPath ?? "-")"])
        return (id, answer.sdp)
    }

    /// A WHIP publisher on `path` (access already decided): the stream enters the hub like an
    /// RTMP or SRT one. The path is claimed only once the offer is answerable.
    public func publish(path: StreamPath, credential: String?, maxPublishers: Int, remote: String, offer: String,
                        requestHost: String?) async throws(MediaSessionError) -> (id: String, answer: String)
    {
        try admit()
        defer { state.withLock { $0.pending -= 1 } }
        let started = try await transport()
        let id = Self.randomID()
        let (ufrag, pwd) = (Self.randomString(8), Self.randomString(24))
        let answer: (sdp: String, session: NegotiatedSession)
        do {
            answer = try SDPNegotiator.answer(
                offer: offer, role: .whip, localUfrag: ufrag, localPwd: pwd,
                localFingerprintSHA256: started.certificate.fingerprintSHA256,
                candidateIP: candidateIP(requestHost), candidatePort: UInt16(clamping: started.transport.localPort),
                h264ProfileLevelID: nil, ssrcs: (video: Self.randomSSRC(), audio: Self.randomSSRC()))
        } catch {
            logger.debug("whip offer refused: \(error)", metadata: ["offer": "\(offer)"])
            throw .badOffer("\(error)")
        }
        guard answer.session.video != nil || answer.session.audio != nil else { throw .badOffer("the offer sends neither H.264 nor Opus") }
        let session = WHIPSession(id: id, negotiated: answer.session, logger: logger, onClose: { [weak self] id in self?.remove(id) })
        let publisher: Publisher
        do {
            publisher = try hub.publish(path, credential: credential, maxPublishers: maxPublishers,
                                        onEvicted: { [weak session] in session?.close(reason: "another publisher took the path over") })
        } catch {
            switch error {
            case .busy, .overlaps: throw .conflict(error.description)
            case .tooManyPublishers: throw .unavailable(error.description)
            }
        }
        session.attach(publisher, remote: remote)
        do {
            try register(session, negotiated: answer.session, transport: started.transport)
        } catch {
            publisher.end()
            throw error
        }
        logger.info("whip publisher", metadata: ["session": "\(id)", "path": "\(path)", "remote": "\(remote)"])
        return (id, answer.sdp)
    }

    /// DELETE on a session resource: false when there is no such session.
    public func delete(id: String) -> Bool {
        guard let session = state.withLock({ $0.sessions[id] }) else { return false }
        session.close(reason: "DELETE")
        remove(id)
        return true
    }

    /// Closes every session and the UDP port.
    public func shutdown() async {
        let (sessions, starting) = state.withLock { s in
            s.shutDown = true
            defer { s.sessions.removeAll() }
            return (Array(s.sessions.values), s.starting)
        }
        for session in sessions { session.close(reason: "server shutting down") }
        if let started = try? await starting?.value { await started.transport.shutdown() }
    }

    // MARK: internals

    private func admit() throws(MediaSessionError) {
        let refusal = state.withLock { s -> MediaSessionError? in
            if s.shutDown { return .unavailable("the server is shutting down") }
            guard s.sessions.count + s.pending < settings.maxSessions else {
                return .unavailable("\(settings.maxSessions) WebRTC sessions are open already (webrtc.maxSessions)")
            }
            s.pending += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    private func register(_ session: any MediaSession, negotiated: NegotiatedSession, transport: WebRTCTransport) throws(MediaSessionError) {
        state.withLock { $0.sessions[session.id] = session }
        do {
            let pc = try transport.register(negotiated, delegate: session)
            session.registered(pc)
        } catch {
            remove(session.id)
            throw .unavailable("cannot register the peer: \(error)")
        }
    }

    private func remove(_ id: String) {
        state.withLock { _ = $0.sessions.removeValue(forKey: id) }
    }

    /// Starts the transport once; a failed start is retried by the next request.
    private func transport() async throws(MediaSessionError) -> Started {
        let task = state.withLock { s -> Task<Started, any Error> in
            if let t = s.starting { return t }
            let (settings, group, logger) = (self.settings, self.group, self.logger)
            let t = Task {
                let certificate = try DTLSCertificate.generate()
                var limits = settings.transportLimits
                limits.maxSessions = settings.maxSessions
                let transport = try await WebRTCTransport(host: settings.host, port: settings.port, advertisedIP: settings.advertisedIP,
                                                          certificate: certificate, limits: limits, group: group, logger: logger)
                logger.notice("WebRTC on udp/\(transport.localPort) (WHEP /whep/<app>/<stream>, WHIP /whip/<app>/<stream>)")
                return Started(transport: transport, certificate: certificate)
            }
            s.starting = t
            return t
        }
        do {
            return try await task.value
        } catch {
            state.withLock { s in if s.starting == task { s.starting = nil } }
            logger.error("WebRTC: cannot bind udp/\(settings.port) on \(settings.host): \(error)")
            throw .unavailable("WebRTC is unavailable: cannot bind udp/\(settings.port): \(error)")
        }
    }

    /// The address a browser should send its STUN checks to.
    private func candidateIP(_ requestHost: String?) -> String {
        if let ip = settings.advertisedIP, !ip.isEmpty { return ip }
        if settings.host != "0.0.0.0", settings.host != "::" { return settings.host }
        return requestHost.flatMap(Self.hostPart) ?? "127.0.0.1"
    }

    /// `host:port`, `[v6]:port` or `host` → host.
    static func hostPart(_ header: String) -> String? {
        if header.hasPrefix("[") {
            guard let close = header.firstIndex(of: "]") else { return nil }
            return String(header[header.index(after: header.startIndex)..<close])
        }
        let host = header.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return host.isEmpty ? nil : host
    }

    private func keyframe(for path: String) {
        let now = ContinuousClock.now
        let due = state.withLock { s -> Bool in
            if let last = s.lastKeyframeRequest[path], now - last < settings.keyframeRequestInterval { return false }
            if s.lastKeyframeRequest.count > 1024 { s.lastKeyframeRequest.removeAll() }
            s.lastKeyframeRequest[path] = now
            return true
        }
        if due { requestKeyframe(path) }
    }

    static func randomID() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func randomString(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<count).map { _ in alphabet.randomElement()! })
    }

    static func randomSSRC() -> UInt32 { UInt32.random(in: 1...UInt32.max) }
}
