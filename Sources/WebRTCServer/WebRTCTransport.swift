import Logging
import NIOCore
import NIOPosix
import WebRTC

/// One UDP port for every WebRTC peer (BUNDLE + rtcp-mux): ICE-lite, DTLS (server role), SRTP.
/// One NIO datagram channel on one event loop owns every peer's state; other threads register
/// sessions, send packets through bounded per-peer queues and read stats.
public final class WebRTCTransport: Sendable {
    public let localPort: Int
    /// The address to put in SDP candidates: `advertisedIP`, else the bound host (loopback if it was a wildcard).
    public let candidateIP: String
    public let certificate: DTLSCertificate
    public let limits: WebRTCLimits
    let core: TransportCore
    private let channel: any Channel

    public init(host: String, port: Int, advertisedIP: String?, certificate: DTLSCertificate, limits: WebRTCLimits = .default,
                group: any EventLoopGroup, logger: Logger) async throws {
        let loop = group.next()
        let core = try await loop.submit {
            TransportCore(limits: limits, logger: logger, loop: loop, certificate: certificate)
        }.get()
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: max(limits.maxDatagramSize, 64)))
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(WebRTCTransportHandler(core: core))
                }
            }
            .bind(host: host, port: port).get()
        try await loop.submit { core.engine.value.start(channel: channel, core: core) }.get()
        self.core = core
        self.channel = channel
        self.certificate = certificate
        self.limits = limits
        localPort = channel.localAddress?.port ?? port
        candidateIP = advertisedIP ?? (host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host)
    }

    /// Registers a session negotiated over HTTP. Nothing costly happens for a datagram until a
    /// STUN Binding request with a USERNAME of this session's ufrag passes MESSAGE-INTEGRITY;
    /// then its source address is bound to the peer and DTLS (server role) runs, then SRTP.
    public func register(_ session: NegotiatedSession, delegate: any PeerConnectionDelegate) throws -> PeerConnection {
        guard !core.isStopped else { throw WebRTCTransportError.shutDown }
        guard session.remoteFingerprint.algorithm == "sha-256", session.remoteFingerprint.bytes.count == 32 else {
            throw WebRTCTransportError.badSession("the offer's fingerprint is not sha-256")
        }
        guard !session.localUfrag.isEmpty, !session.localPwd.isEmpty else {
            throw WebRTCTransportError.badSession("no local ICE credentials")
        }
        let id = try core.reserve(ufrag: session.localUfrag)
        let pc = PeerConnection(id: id, session: session, delegate: delegate, transport: core)
        core.execute { engine in engine.add(pc) }
        return pc
    }

    /// Sessions registered and not yet closed.
    public var sessionCount: Int { core.sessionCount }

    /// Closes every peer (`peerClosed(reason: "transport shut down")`) and the socket.
    public func shutdown() async {
        guard !core.isStopped else { return }
        try? await core.loop.submit { self.core.engine.value.closeAll(reason: "transport shut down") }.get()
        core.stop()
        try? await channel.close()
    }
}
