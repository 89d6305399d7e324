import Foundation
import NIOCore
import NIOPosix
import Synchronization
import WebRTC

/// What a `WebRTCClientPeer` has seen so far.
public struct WebRTCClientStats: Sendable, Equatable {
    public enum State: String, Sendable { case idle, checking, handshaking, connected, failed, closed }
    public var state: State = .idle
    public var failure: String?
    public var rtpPackets = 0
    public var rtpBytes = 0
    public var videoPackets = 0
    public var videoBytes = 0
    public var audioPackets = 0
    /// Access units that carry an IDR (NAL 5 alone, in a STAP-A, or starting an FU-A).
    public var keyframes = 0
    /// Video packets missing in the sequence (RFC 3550 cumulative loss) and expected in all.
    public var videoLost = 0
    public var videoExpected = 0
    public var unprotectFailures = 0
    /// Seconds after `markPosted()`.
    public var connectedAfter: Double?
    public var firstVideoPacketAfter: Double?
    public var firstKeyframeAfter: Double?
    public init() {}
}

/// The client side of one WHEP session (a browser stand-in for benchmarks and tests): its own
/// UDP socket, a recvonly offer, STUN Binding checks as the controlling agent (repeated every
/// 2.5 s for consent, RFC 7675), the DTLS client role, SRTP, receiver reports every second,
/// and counters of what arrives. Everything but the counters lives on the socket's event loop.
// @unchecked: mutable state is either confined to `channel.eventLoop` or behind `counters`/`postedNanos`.
public final class WebRTCClientPeer: @unchecked Sendable {
    public let certificate: DTLSCertificate
    public let ufrag: String
    public let pwd: String
    public let channel: any Channel
    private var eventLoop: any EventLoop { channel.eventLoop }
    private let counters = Mutex(WebRTCClientStats())
    private let postedNanos = Atomic<UInt64>(0)

    // Event-loop confined.
    private struct Remote {
        var ufrag: String
        var pwd: String
        var address: SocketAddress
        var fingerprint: [UInt8]
        var videoPT: UInt8?
        var audioPT: UInt8?
    }
    private var remote: Remote?
    private var dtls: DTLSEndpoint?
    private var srtp: SRTPSession?
    private var video: RTPReceiveStatistics?
    private var audio: RTPReceiveStatistics?
    private var lastKeyframeTimestamp: UInt32?
    private var timer: RepeatedTask?
    private var lastBinding: UInt64 = 0
    private var lastReport: UInt64 = 0
    private var handshakeDeadline: UInt64 = 0
    private let ssrc = UInt32.random(in: 1...UInt32.max)

    /// Checks are resent every 500 ms until answered, then every 2.5 s for consent.
    static let checkingInterval: UInt64 = 500_000_000
    static let consentInterval: UInt64 = 2_500_000_000
    static let reportInterval: UInt64 = 1_000_000_000
    static let handshakeTimeout: UInt64 = 10_000_000_000

    // @unchecked: `peer` is set and read only on the socket's event loop (see `bind`).
    private final class Sink: @unchecked Sendable { weak var peer: WebRTCClientPeer? }
    // @unchecked: NIO calls a handler only on its channel's event loop; its one field is a `let`.
    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let sink: Sink
        init(sink: Sink) { self.sink = sink }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var e = unwrapInboundIn(data)
            if let b = e.data.readBytes(length: e.data.readableBytes) { sink.peer?.receive(b, from: e.remoteAddress) }
        }
    }

    private init(channel: any Channel, certificate: DTLSCertificate) {
        self.channel = channel
        self.certificate = certificate
        ufrag = "c" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        pwd = (0..<3).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined()
    }

    /// A socket on `host`, port 0, and a fresh certificate (a server refuses a replayed fingerprint).
    public static func bind(group: any EventLoopGroup, host: String = "127.0.0.1") async throws -> WebRTCClientPeer {
        let sink = Sink()
        let certificate = try DTLSCertificate.generate()
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 1 << 20)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Handler(sink: sink)) } }
            .bind(host: host, port: 0).get()
        let peer = WebRTCClientPeer(channel: channel, certificate: certificate)
        try await channel.eventLoop.submit { sink.peer = peer }.get() // the handler reads it on the loop
        return peer
    }

    public var localPort: Int { channel.localAddress?.port ?? 0 }

    /// A recvonly offer: H.264 (three profiles) and Opus.
    public var offer: String {
        SDPOfferBuilder(ufrag: ufrag, pwd: pwd, fingerprintSHA256: certificate.fingerprintSHA256).build()
    }

    public var stats: WebRTCClientStats { counters.withLock { $0 } }

    /// The moment the offer went out; the latencies in `stats` count from here.
    public func markPosted() { postedNanos.store(Self.now(), ordering: .relaxed) }

    public enum AnswerError: Error, CustomStringConvertible {
        case invalid(String)
        public var description: String { if case .invalid(let s) = self { "bad answer: \(s)" } else { "" } }
    }

    /// Reads the answer (ICE credentials, address, fingerprint, payload types) and starts the checks.
    public func start(answer: String) throws {
        let sdp: SessionDescription
        do { sdp = try SessionDescription.parse(answer) } catch { throw AnswerError.invalid("\(error)") }
        guard let first = sdp.media.first(where: { $0.port != 0 }) else { throw AnswerError.invalid("no accepted media section") }
        func value(_ name: String) -> String? { sdp.value(name, in: first) ?? sdp.sessionValues(name).first }
        guard let rUfrag = value("ice-ufrag"), let rPwd = value("ice-pwd") else { throw AnswerError.invalid("no ice-ufrag/ice-pwd") }
        guard let fp = value("fingerprint").flatMap(DTLSFingerprint.init(sdpValue:)), fp.bytes.count == 32 else {
            throw AnswerError.invalid("no sha-256 fingerprint")
        }
        // The host candidate if there is one, else the connection address and the m= port.
        var ip = first.connection?.split(separator: " ").last.map(String.init)
        var port = first.port
        if let c = first.values("candidate").first(where: { $0.lowercased().contains("udp") }) {
            let f = c.split(separator: " ")
            if f.count > 5, let p = Int(f[5]) { ip = String(f[4]); port = p }
        }
        guard let ip, (1...65535).contains(port), let address = try? SocketAddress(ipAddress: ip, port: port) else {
            throw AnswerError.invalid("no usable candidate address")
        }
        let videoPT = sdp.media.first { $0.kind == "video" && $0.port != 0 }?.formats.first.flatMap { UInt8($0) }
        let audioPT = sdp.media.first { $0.kind == "audio" && $0.port != 0 }?.formats.first.flatMap { UInt8($0) }
        let r = Remote(ufrag: rUfrag, pwd: rPwd, address: address, fingerprint: fp.bytes, videoPT: videoPT, audioPT: audioPT)
        eventLoop.execute {
            self.remote = r
            self.setState(.checking)
            self.handshakeDeadline = Self.now() + Self.handshakeTimeout
            self.sendBinding()
            self.timer = self.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in self.tick() }
        }
    }

    /// DTLS close_notify, then the socket closes.
    public func close() async {
        let loop = eventLoop
        try? await loop.submit {
            self.timer?.cancel()
            self.timer = nil
            if let dtls = self.dtls, dtls.state == .connected {
                dtls.shutdown()
                self.flushDTLS()
            }
            if self.stats.state != .failed { self.setState(.closed) }
        }.get()
        try? await channel.close()
    }

    // MARK: event loop

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private func secondsSincePost() -> Double {
        let p = postedNanos.load(ordering: .relaxed)
        return p == 0 ? 0 : Double(Self.now() &- p) / 1e9
    }

    private func setState(_ s: WebRTCClientStats.State, failure: String? = nil) {
        let after = secondsSincePost()
        counters.withLock { c in
            c.state = s
            if let failure { c.failure = failure }
            if s == .connected { c.connectedAfter = after }
        }
    }

    private func fail(_ reason: String) {
        setState(.failed, failure: reason)
        timer?.cancel()
        timer = nil
    }

    private func send(_ bytes: [UInt8]) {
        guard let remote else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote.address, data: buffer), promise: nil)
    }

    private func sendBinding() {
        guard let remote else { return }
        lastBinding = Self.now()
        send(STUN.bindingRequest(transactionID: (0..<12).map { _ in UInt8.random(in: 0...255) },
                                 username: "\(remote.ufrag):\(ufrag)", password: remote.pwd,
                                 priority: 0x6E00_1EFF, iceControlling: UInt64.random(in: 0...UInt64.max), useCandidate: true))
    }

    private func flushDTLS() {
        guard let dtls else { return }
        for d in dtls.takeDatagrams() { send(d) }
    }

    private func tick() {
        let now = Self.now()
        let state = counters.withLock { $0.state }
        switch state {
        case .checking, .handshaking:
            if now > handshakeDeadline { return fail("\(state.rawValue) timed out") }
            if state == .checking, now &- lastBinding >= Self.checkingInterval { sendBinding() }
            if let dtls, let due = dtls.nextTimeout, due <= .zero {
                dtls.handleTimeout()
                flushDTLS()
                checkDTLS()
            }
        case .connected:
            if now &- lastBinding >= Self.consentInterval { sendBinding() }
            if now &- lastReport >= Self.reportInterval { sendReport(now: now) }
        default: break
        }
    }

    private func sendReport(now: UInt64) {
        lastReport = now
        guard let srtp else { return }
        var blocks: [RTCPReportBlock] = []
        if video != nil { blocks.append(video!.reportBlock(nowNanos: now)) }
        if audio != nil { blocks.append(audio!.reportBlock(nowNanos: now)) }
        if let v = blocks.first, video != nil {
            let expected = Int(v.highestSequence) - Int(firstVideoSequence ?? 0) + 1
            counters.withLock { c in c.videoLost = max(0, Int(v.cumulativeLost)); c.videoExpected = max(expected, 0) }
        }
        if let protected = try? srtp.protectRTCP(RTCP.receiverReport(ssrc: ssrc, reports: blocks)) { send(protected) }
    }
    private var firstVideoSequence: UInt16?

    private func checkDTLS() {
        guard let dtls else { return }
        switch dtls.state {
        case .connected where srtp == nil:
            guard let keys = dtls.srtpKeys() else { return fail("DTLS gave no SRTP keys") }
            do { srtp = try SRTPSession(keys: keys) } catch { return fail("SRTP: \(error)") }
            setState(.connected)
        case .failed(let why): fail("DTLS: \(why)")
        case .closed: setState(.closed)
        default: break
        }
    }

    fileprivate func receive(_ d: [UInt8], from source: SocketAddress) {
        guard let remote, source == remote.address else { return }
        switch classifyDatagram(d) {
        case .stun:
            guard let m = try? STUN.parse(d), m.messageClass == .successResponse,
                  STUN.checkIntegrity(d, password: remote.pwd) else { return }
            if dtls == nil {
                do {
                    let e = try DTLSEndpoint(certificate: certificate, role: .client, remoteFingerprint: remote.fingerprint)
                    dtls = e
                    setState(.handshaking)
                    e.start()
                    flushDTLS()
                } catch { fail("DTLS: \(error)") }
            }
        case .dtls:
            guard let dtls else { return }
            dtls.receive(d)
            flushDTLS()
            checkDTLS()
        case .rtp:
            guard let srtp else { return }
            guard let packet = try? srtp.unprotectRTP(d), let (h, payload) = try? RTPHeader.parse(packet) else {
                counters.withLock { $0.unprotectFailures += 1 }
                return
            }
            count(h, packet: packet, payload: payload)
        case .rtcp:
            guard let srtp, let packet = try? srtp.unprotectRTCP(d), let packets = try? RTCP.parseCompound(packet) else { return }
            for p in packets {
                if case .senderReport(let sr) = p {
                    if video?.ssrc == sr.ssrc { video?.recordSenderReport(ntpTimestamp: sr.ntpTimestamp, arrivalNanos: Self.now()) }
                    if audio?.ssrc == sr.ssrc { audio?.recordSenderReport(ntpTimestamp: sr.ntpTimestamp, arrivalNanos: Self.now()) }
                }
            }
        case .unknown: break
        }
    }

    private func count(_ h: RTPHeader, packet: [UInt8], payload: Range<Int>) {
        let now = Self.now()
        let isVideo = h.payloadType == remote?.videoPT
        var keyframe = false
        if isVideo {
            if video == nil { video = RTPReceiveStatistics(ssrc: h.ssrc, clockRate: 90_000); firstVideoSequence = h.sequenceNumber }
            video?.record(sequence: h.sequenceNumber, rtpTimestamp: h.timestamp, arrivalNanos: now)
            if Self.carriesIDR(packet[payload]), lastKeyframeTimestamp != h.timestamp {
                lastKeyframeTimestamp = h.timestamp
                keyframe = true
            }
        } else if h.payloadType == remote?.audioPT {
            if audio == nil { audio = RTPReceiveStatistics(ssrc: h.ssrc, clockRate: 48_000) }
            audio?.record(sequence: h.sequenceNumber, rtpTimestamp: h.timestamp, arrivalNanos: now)
        }
        let after = secondsSincePost()
        counters.withLock { c in
            c.rtpPackets += 1
            c.rtpBytes += packet.count
            if isVideo {
                c.videoPackets += 1
                c.videoBytes += packet.count
                if c.firstVideoPacketAfter == nil { c.firstVideoPacketAfter = after }
                if keyframe {
                    c.keyframes += 1
                    if c.firstKeyframeAfter == nil { c.firstKeyframeAfter = after }
                }
            } else {
                c.audioPackets += 1
            }
        }
    }

    /// RFC 6184: an IDR slice alone (5), inside a STAP-A (24), or the start of an FU-A (28).
    public static func carriesIDR(_ payload: ArraySlice<UInt8>) -> Bool {
        guard let first = payload.first else { return false }
        switch first & 0x1F {
        case 5: return true
        case 24:
            var i = payload.startIndex + 1
            while i + 2 < payload.endIndex {
                let size = Int(payload[i]) << 8 | Int(payload[i + 1])
                if payload[i + 2] & 0x1F == 5 { return true }
                i += 2 + size
            }
            return false
        case 28:
            guard payload.count >= 2 else { return false }
            let fu = payload[payload.startIndex + 1]
            return fu & 0x80 != 0 && fu & 0x1F == 5
        default: return false
        }
    }
}
