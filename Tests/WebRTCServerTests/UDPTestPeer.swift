import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import WebRTC
@testable import WebRTCServer

/// A browser stand-in for the UDP tests: a NIO datagram socket on loopback, STUN requests from
/// the pure STUN API, our DTLS client role and SRTP. Received datagrams wait in an inbox.
final class UDPTestPeer: Sendable {
    let channel: any Channel
    let inbox: Inbox
    let certificate: DTLSCertificate
    let ufrag: String
    let pwd: String

    final class Inbox: Sendable {
        private let items = Mutex<[[UInt8]]>([])
        func append(_ d: [UInt8]) { items.withLock { $0.append(d) } }
        func take() -> [[UInt8]] { items.withLock { d in defer { d = [] }; return d } }
    }

    final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let inbox: Inbox
        init(inbox: Inbox) { self.inbox = inbox }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var e = unwrapInboundIn(data)
            if let b = e.data.readBytes(length: e.data.readableBytes) { inbox.append(b) }
        }
    }

    init(group: any EventLoopGroup, ufrag: String = "cli\(UInt16.random(in: 1000...9999))") async throws {
        let inbox = Inbox()
        channel = try await DatagramBootstrap(group: group)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Handler(inbox: inbox)) } }
            .bind(host: "127.0.0.1", port: 0).get()
        self.inbox = inbox
        certificate = try DTLSCertificate.generate()
        self.ufrag = ufrag
        pwd = "clientpwd-\(UInt32.random(in: 0...UInt32.max))-0123456789"
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    /// A minimal Chromium-like WHEP offer: one H.264 video section, BUNDLE, rtcp-mux (the
    /// product's offer builder, which `bench whep`'s `WebRTCClientPeer` uses too).
    var offer: String {
        var b = SDPOfferBuilder(ufrag: ufrag, pwd: pwd, fingerprintSHA256: certificate.fingerprintSHA256)
        b.h264Profiles = ["42e01f"]
        b.audio = false
        b.playoutDelayExtensionID = 5
        return b.build()
    }

    func negotiate(with transport: WebRTCTransport, localUfrag: String = "srv\(UInt16.random(in: 1000...9999))") throws -> NegotiatedSession {
        try SDPNegotiator.answer(offer: offer, role: .whep, localUfrag: localUfrag, localPwd: "serverpwd-0123456789abcdef",
                                 localFingerprintSHA256: transport.certificate.fingerprintSHA256, candidateIP: "127.0.0.1",
                                 candidatePort: UInt16(transport.localPort), h264ProfileLevelID: nil,
                                 ssrcs: (video: 0x1111, audio: 0x2222)).session
    }

    func send(_ bytes: [UInt8], to port: Int) throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
    }

    func bindingRequest(for session: NegotiatedSession, password: String? = nil, useCandidate: Bool = true) -> [UInt8] {
        STUN.bindingRequest(transactionID: (0..<12).map { _ in UInt8.random(in: 0...255) },
                            username: "\(session.localUfrag):\(ufrag)", password: password ?? session.localPwd,
                            priority: 0x6E00_1EFF, iceControlling: 0x1234_5678_9ABC, useCandidate: useCandidate)
    }

    /// Sends a STUN check until a STUN response comes (as browsers retransmit checks: the
    /// transport adds a registered peer on its event loop, so a first check can race it).
    func check(_ request: @autoclosure () -> [UInt8], to port: Int) async throws -> [UInt8]? {
        for _ in 0..<20 {
            try send(request(), to: port)
            if let response = await next(within: 0.5, where: { classifyDatagram($0) == .stun }) { return response }
        }
        return nil
    }

    /// Waits (bounded) for the next datagram that `accept` takes; others are kept for later.
    func next(within seconds: Double = 10, where accept: @escaping ([UInt8]) -> Bool = { _ in true }) async -> [UInt8]? {
        var found: [UInt8]?
        var kept: [[UInt8]] = []
        _ = await eventually(within: seconds) {
            for d in inbox.take() {
                if found == nil, accept(d) { found = d } else { kept.append(d) }
            }
            return found != nil
        }
        for d in kept { inbox.append(d) }
        return found
    }

    /// STUN Binding (integrity ok), then the DTLS handshake as client; the SRTP session on success.
    func connect(to transport: WebRTCTransport, session: NegotiatedSession) async throws -> SRTPSession? {
        guard let response = try await check(bindingRequest(for: session), to: transport.localPort),
              let message = try? STUN.parse(response), message.messageClass == .successResponse else { return nil }
        let dtls = try DTLSEndpoint(certificate: certificate, role: .client, remoteFingerprint: transport.certificate.fingerprintBytes)
        dtls.start()
        let deadline = Date().addingTimeInterval(10)
        while dtls.state == .handshaking, Date() < deadline {
            for d in dtls.takeDatagrams() { try send(d, to: transport.localPort) }
            if let d = await next(within: 0.3, where: { classifyDatagram($0) == .dtls }) {
                dtls.receive(d)
            } else if let due = dtls.nextTimeout, due <= .zero {
                dtls.handleTimeout()
            }
        }
        for d in dtls.takeDatagrams() { try send(d, to: transport.localPort) }
        guard dtls.state == .connected, let keys = dtls.srtpKeys() else { return nil }
        return try SRTPSession(keys: keys)
    }

    func close() async { try? await channel.close() }
}

/// Records what the transport tells a session.
final class RecordingDelegate: PeerConnectionDelegate {
    struct Seen {
        var connected = 0
        var rtcp: [RTCPPacket] = []
        var rtp: [[UInt8]] = []
        var closed: [String] = []
    }
    let seen = Mutex(Seen())
    func peerConnected(_ pc: PeerConnection) { seen.withLock { $0.connected += 1 } }
    func peer(_ pc: PeerConnection, receivedRTCP: [RTCPPacket]) { seen.withLock { $0.rtcp += receivedRTCP } }
    func peer(_ pc: PeerConnection, receivedRTP: [UInt8]) { seen.withLock { $0.rtp.append(receivedRTP) } }
    func peerClosed(_ pc: PeerConnection, reason: String) { seen.withLock { $0.closed.append(reason) } }
    var snapshot: Seen { seen.withLock { $0 } }
}
