import Foundation
import Logging
import NIOCore
import WebRTC

/// Every peer's state and the datagram demultiplexer (RFC 7983), on the transport's one event
/// loop: no locks on the media path; other threads reach it through `TransportCore.execute`.
final class TransportEngine {
    let limits: WebRTCLimits
    let logger: Logger
    let certificate: DTLSCertificate
    var channel: (any Channel)?
    private var peers: [String: PeerConnectionState] = [:]
    private var byUfrag: [String: PeerConnectionState] = [:]
    private var byAddress: [SocketAddress: PeerConnectionState] = [:]
    private var tick: RepeatedTask?
    private var lastLog: [String: NIODeadline] = [:]
    private var suppressed: [String: Int] = [:]
    /// Datagrams refused before any peer state was touched (unknown source, bad STUN), for tests and metrics.
    private(set) var refusedDatagrams = 0

    init(limits: WebRTCLimits, logger: Logger, certificate: DTLSCertificate) {
        self.limits = limits
        self.logger = logger
        self.certificate = certificate
    }

    func start(channel: any Channel, core: TransportCore) {
        self.channel = channel
        let interval = TimeAmount(limits.tickInterval)
        tick = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            core.engine.value.onTick()
        }
    }

    var peerCount: Int { peers.count }

    // MARK: - sessions

    func add(_ pc: PeerConnection) {
        let s = pc.session
        let state = PeerConnectionState(pc: pc, remoteFingerprint: s.remoteFingerprint.bytes, now: .now(), limits: limits)
        peers[pc.id] = state
        byUfrag[s.localUfrag] = state
    }

    func close(id: String, reason: String) {
        guard let state = peers.removeValue(forKey: id) else { return }
        let pc = state.pc
        byUfrag.removeValue(forKey: pc.session.localUfrag)
        for a in state.validated where byAddress[a] === state { byAddress.removeValue(forKey: a) }
        if let dtls = state.dtls, dtls.state == .connected, let a = state.address {
            dtls.shutdown()
            send(dtls.takeDatagrams(), to: a)
            channel?.flush()
        }
        state.dtls = nil
        state.srtp = nil
        pc.markClosed()
        pc.transport.release(ufrag: pc.session.localUfrag)
        logger.debug("WebRTC peer closed", metadata: ["peer": "\(id)", "reason": "\(reason)"])
        pc.takeDelegate()?.peerClosed(pc, reason: reason)
    }

    func closeAll(reason: String) {
        for id in Array(peers.keys) { close(id: id, reason: reason) }
        tick?.cancel()
        tick = nil
    }

    // MARK: - datagrams in

    func receive(_ bytes: [UInt8], from address: SocketAddress) {
        switch classifyDatagram(bytes) {
        case .stun: receiveSTUN(bytes, from: address)
        case .dtls: receiveDTLS(bytes, from: address)
        case .rtp: receiveSRTP(bytes, from: address, rtcp: false)
        case .rtcp: receiveSRTP(bytes, from: address, rtcp: true)
        case .unknown: refuse("unknown datagram", from: address)
        }
    }

    private func receiveSTUN(_ bytes: [UInt8], from address: SocketAddress) {
        guard let message = try? STUN.parse(bytes) else { return refuse("malformed STUN", from: address) }
        guard message.isBindingRequest else { return }  // responses and indications: nothing to do for ICE-lite
        guard let ufrag = STUN.localUfrag(of: message), let state = byUfrag[ufrag] else {
            return refuse("STUN for an unknown ufrag", from: address)
        }
        guard let (ip, port) = Self.ipAndPort(address) else { return refuse("STUN from an address without IP", from: address) }
        let s = state.pc.session
        switch ICELite.answer(bytes, message: message, localUfrag: s.localUfrag, localPwd: s.localPwd, remoteUfrag: s.remoteUfrag,
                              sourceIP: ip, sourcePort: port) {
        case .ignore(let why):
            refuse("STUN ignored", detail: why, from: address)
        case .unauthorized(let response):
            refuse("STUN with a wrong MESSAGE-INTEGRITY", from: address)
            send([response], to: address)
            channel?.flush()
        case .success(let response, let nominated):
            send([response], to: address)
            state.consentDeadline = .now() + TimeAmount(limits.consentTimeout)
            state.pc.updateStats { $0.bindingRequests += 1 }
            validate(state, address)
            // Latest nominated address wins (a peer may move, e.g. Wi-Fi to cellular).
            if nominated {
                state.nominated = true
                select(state, address)
            } else if state.address == nil {
                select(state, address)
            }
            if state.dtls == nil { startDTLS(state) }
            channel?.flush()
        }
    }

    /// The address passed a Binding request: DTLS and SRTP from it now reach this peer.
    private func validate(_ state: PeerConnectionState, _ address: SocketAddress) {
        if let other = byAddress[address], other !== state {
            // The 5-tuple moved to another session (a peer reusing its port): the old one lets go.
            other.validated.removeAll { $0 == address }
            if other.address == address { other.address = other.validated.last }
        }
        byAddress[address] = state
        if let i = state.validated.firstIndex(of: address) { state.validated.remove(at: i) }
        state.validated.append(address)
        if state.validated.count > PeerConnectionState.maxValidatedAddresses {
            let oldest = state.validated.removeFirst()
            if byAddress[oldest] === state { byAddress.removeValue(forKey: oldest) }
            if state.address == oldest { state.address = address }
        }
    }

    private func select(_ state: PeerConnectionState, _ address: SocketAddress) {
        guard state.address != address else { return }
        state.address = address
        state.pc.updateStats {
            $0.remoteAddress = address.description
            if $0.state == .new { $0.state = .connecting }
        }
    }

    private func startDTLS(_ state: PeerConnectionState) {
        do {
            state.dtls = try DTLSEndpoint(certificate: certificate, role: .server, remoteFingerprint: state.remoteFingerprint)
        } catch {
            close(id: state.pc.id, reason: "DTLS: \(error)")
        }
    }

    private func receiveDTLS(_ bytes: [UInt8], from address: SocketAddress) {
        guard let state = byAddress[address], let dtls = state.dtls else { return refuse("DTLS from an unbound address", from: address) }
        // Before a nomination the browser's DTLS shows which validated pair it uses.
        if !state.nominated { select(state, address) }
        let before = dtls.state
        let after = dtls.receive(bytes)
        send(dtls.takeDatagrams(), to: address)
        channel?.flush()
        advance(state, from: before, to: after)
    }

    private func advance(_ state: PeerConnectionState, from before: DTLSEndpoint.State, to after: DTLSEndpoint.State) {
        let id = state.pc.id
        switch after {
        case .handshaking:
            return
        case .connected:
            guard before != .connected else { return }
            guard let keys = state.dtls?.srtpKeys() else { return close(id: id, reason: "DTLS: no SRTP profile negotiated") }
            do {
                state.srtp = try SRTPSession(keys: keys)
            } catch {
                return close(id: id, reason: "\(error)")
            }
            state.handshakeDeadline = nil
            state.pc.updateStats { $0.srtpProfile = keys.profile }
            state.pc.markConnected()
            logger.debug("WebRTC peer connected", metadata: ["peer": "\(id)", "profile": "\(keys.profile)"])
            state.pc.delegate?.peerConnected(state.pc)
        case .failed(let why):
            close(id: id, reason: why)
        case .closed:
            close(id: id, reason: "DTLS closed by the peer")
        }
    }

    private func receiveSRTP(_ bytes: [UInt8], from address: SocketAddress, rtcp: Bool) {
        guard let state = byAddress[address], let srtp = state.srtp else {
            return rtcp ? refuse("SRTCP from an unbound address", from: address) : refuse("SRTP from an unbound address", from: address)
        }
        let pc = state.pc
        if !rtcp {
            guard bytes.count >= 12 else { return refuse("short RTP", from: address) }
            // Each new SSRC costs a libsrtp stream: bound them.
            let ssrc = UInt32(bytes[8]) << 24 | UInt32(bytes[9]) << 16 | UInt32(bytes[10]) << 8 | UInt32(bytes[11])
            if !state.inboundSSRCs.contains(ssrc) {
                guard state.inboundSSRCs.count < limits.maxInboundSSRCs else {
                    return close(id: pc.id, reason: "more than \(limits.maxInboundSSRCs) inbound SSRCs")
                }
            }
            guard let plain = try? srtp.unprotectRTP(bytes) else { pc.updateStats { $0.srtpErrors += 1 }; return }
            state.inboundSSRCs.insert(ssrc)
            pc.updateStats { $0.packetsReceived += 1; $0.bytesReceived += plain.count }
            pc.delegate?.peer(pc, receivedRTP: plain)
            return
        }
        guard let plain = try? srtp.unprotectRTCP(bytes) else { pc.updateStats { $0.srtpErrors += 1 }; return }
        guard let packets = try? RTCP.parseCompound(plain) else { return }
        let now = RTCP.ntpTimestamp(unixSeconds: Date().timeIntervalSince1970)
        pc.updateStats { st in
            st.rtcpPacketsReceived += 1
            for p in packets {
                switch p {
                case .nack: st.nacksReceived += 1
                case .pli: st.plisReceived += 1
                case .fir: st.firsReceived += 1
                case .receiverReport(let blocks):
                    if let rtt = blocks.lazy.compactMap({ RTCP.roundTripSeconds($0, nowNTP: now) }).first {
                        st.rtt = .microseconds(Int64(rtt * 1e6))
                    }
                case .senderReport(let sr):
                    if let rtt = sr.reports.lazy.compactMap({ RTCP.roundTripSeconds($0, nowNTP: now) }).first {
                        st.rtt = .microseconds(Int64(rtt * 1e6))
                    }
                default: break
                }
            }
        }
        pc.delegate?.peer(pc, receivedRTCP: packets)
    }

    // MARK: - datagrams out

    /// Drains what other threads queued for `pc`: protect each packet and write, one flush.
    func flush(_ pc: PeerConnection) {
        let pending = pc.takePending()
        guard !pending.isEmpty else { return }
        guard let state = peers[pc.id], let srtp = state.srtp, let address = state.address, let channel else {
            pc.updateStats { $0.packetsDropped += pending.count }
            return
        }
        var sent = 0, bytes = 0, rtcpSent = 0, dropped = 0
        for p in pending {
            var buffer = channel.allocator.buffer(capacity: p.packet.count + SRTPSession.maxTrailer)
            do {
                try srtp.protect(p.packet, rtcp: p.rtcp, into: &buffer)
            } catch {
                dropped += 1
                continue
            }
            channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
            if p.rtcp { rtcpSent += 1 } else { sent += 1; bytes += p.packet.count }
        }
        channel.flush()
        pc.updateStats { $0.packetsSent += sent; $0.bytesSent += bytes; $0.rtcpPacketsSent += rtcpSent; $0.packetsDropped += dropped }
    }

    private func send(_ datagrams: [[UInt8]], to address: SocketAddress) {
        guard let channel, !datagrams.isEmpty else { return }
        for d in datagrams {
            var buffer = channel.allocator.buffer(capacity: d.count)
            buffer.writeBytes(d)
            channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        }
    }

    // MARK: - timers

    func onTick() {
        let now = NIODeadline.now()
        var expired: [(String, String)] = []
        for (id, state) in peers {
            if let deadline = state.handshakeDeadline, now >= deadline {
                expired.append((id, "handshake timeout"))
            } else if now >= state.consentDeadline {
                expired.append((id, "consent expired"))
            } else if let dtls = state.dtls, dtls.state == .handshaking, let due = dtls.nextTimeout, due <= .zero,
                      let address = state.address {
                let after = dtls.handleTimeout()
                send(dtls.takeDatagrams(), to: address)
                channel?.flush()
                if after != .handshaking { advance(state, from: .handshaking, to: after) }
            }
        }
        for (id, reason) in expired { close(id: id, reason: reason) }
    }

    // MARK: - helpers

    /// Unknown sources get nothing back; one log line per kind per `logInterval`.
    /// `kind` is one of a fixed set of literals, so the rate limiter's tables stay small.
    private func refuse(_ kind: StaticString, detail: String = "", from address: SocketAddress) {
        refusedDatagrams += 1
        let key = "\(kind)"
        let now = NIODeadline.now()
        if let last = lastLog[key], now - last < TimeAmount(limits.logInterval) {
            suppressed[key, default: 0] += 1
            return
        }
        let more = suppressed.removeValue(forKey: key) ?? 0
        lastLog[key] = now
        logger.info("WebRTC: \(key)", metadata: ["from": "\(address)", "detail": "\(detail.prefix(120))", "suppressed": "\(more)"])
    }

    static func ipAndPort(_ address: SocketAddress) -> ([UInt8], UInt16)? {
        guard let port = address.port, let port16 = UInt16(exactly: port) else { return nil }
        switch address {
        case .v4(let a):
            let raw = UInt32(bigEndian: a.address.sin_addr.s_addr)
            return ([UInt8(raw >> 24), UInt8((raw >> 16) & 0xFF), UInt8((raw >> 8) & 0xFF), UInt8(raw & 0xFF)], port16)
        case .v6(let a):
            let ip = withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }
            return ip.count == 16 ? (ip, port16) : nil
        default:
            return nil
        }
    }
}

@available(*, unavailable) extension TransportEngine: Sendable {}

/// The channel's only handler: hands each datagram to the engine, tracks writability.
final class WebRTCTransportHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let core: TransportCore

    init(core: TransportCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = unwrapInboundIn(data)
        guard let bytes = envelope.data.readBytes(length: envelope.data.readableBytes) else { return }
        core.engine.value.receive(bytes, from: envelope.remoteAddress)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        core.setWritable(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable from a vanished peer surfaces here on Linux; the socket stays usable.
        core.logger.debug("WebRTC UDP error: \(error)")
    }
}

@available(*, unavailable) extension WebRTCTransportHandler: Sendable {}
