import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import TestSupport
import WebRTC
@testable import WebRTCServer

/// The transport on a real UDP port against `UDPTestPeer`: ICE-lite, DTLS, SRTP both ways,
/// refusals and consent expiry. Bounded waits only.
@Suite(.serialized) struct WebRTCTransportTests {
    static func withTransport(limits: WebRTCLimits = .default,
                              _ body: (WebRTCTransport, any EventLoopGroup) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = try await WebRTCTransport(host: "127.0.0.1", port: 0, advertisedIP: nil, certificate: try DTLSCertificate.generate(),
                                                  limits: limits, group: group, logger: Logger(label: "webrtc-test"))
        do {
            try await body(transport, group)
        } catch {
            await transport.shutdown()
            try await group.shutdownGracefully()
            throw error
        }
        await transport.shutdown()
        try await group.shutdownGracefully()
    }

    static func rtp(seq: UInt16, ssrc: UInt32 = 0x1111) -> [UInt8] {
        [0x80, 102, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0x20, 0,
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)] + Array(repeating: 0x5A, count: 200)
    }

    @Test func bindingDTLSAndSRTPBothWays() async throws {
        try await Self.withTransport { transport, group in
            let client = try await UDPTestPeer(group: group)
            defer { Task { await client.close() } }
            let session = try client.negotiate(with: transport)
            let recorder = RecordingDelegate()
            let pc = try transport.register(session, delegate: recorder)
            #expect(!pc.sendRTP(Self.rtp(seq: 0)), "nothing is sent before DTLS is done")

            // Binding success carries our source as XOR-MAPPED-ADDRESS, signed with the server's pwd.
            let response = try #require(try await client.check(client.bindingRequest(for: session), to: transport.localPort))
            let message = try STUN.parse(response)
            #expect(message.messageClass == .successResponse)
            #expect(message.xorMappedAddress?.port == UInt16(client.port))
            #expect(message.xorMappedAddress?.ip == [127, 0, 0, 1])
            #expect(STUN.checkIntegrity(response, password: session.localPwd))
            #expect(STUN.checkFingerprint(response))

            let srtp = try #require(try await client.connect(to: transport, session: session))
            #expect(await eventually(within: 10) { recorder.snapshot.connected == 1 })
            #expect(pc.stats.state == .connected)

            // Server → client: SRTP the client can decrypt.
            let packet = Self.rtp(seq: 7)
            #expect(pc.sendRTP(packet))
            let protected = try #require(await client.next(where: { classifyDatagram($0) == .rtp }))
            #expect(protected != packet)
            #expect(try srtp.unprotectRTP(protected) == packet)

            // Client → server: an SRTCP PLI reaches the delegate; SRTP RTP arrives decrypted.
            try client.send(try srtp.protectRTCP(RTCP.pli(senderSSRC: 0x9999, mediaSSRC: 0x1111)), to: transport.localPort)
            #expect(await eventually(within: 10) { recorder.snapshot.rtcp.contains(.pli(mediaSSRC: 0x1111)) })
            #expect(pc.stats.plisReceived == 1)
            let upstream = Self.rtp(seq: 1, ssrc: 0x7777)
            try client.send(try srtp.protectRTP(upstream), to: transport.localPort)
            #expect(await eventually(within: 10) { recorder.snapshot.rtp == [upstream] })
            #expect(pc.stats.packetsSent == 1)

            pc.close(reason: "DELETE")
            #expect(await eventually(within: 10) { recorder.snapshot.closed == ["DELETE"] })
            #expect(transport.sessionCount == 0)
            #expect(!pc.sendRTP(Self.rtp(seq: 8)))
        }
    }

    @Test func wrongIntegrityGetsNoSession() async throws {
        try await Self.withTransport { transport, group in
            let client = try await UDPTestPeer(group: group)
            defer { Task { await client.close() } }
            let session = try client.negotiate(with: transport)
            let recorder = RecordingDelegate()
            let pc = try transport.register(session, delegate: recorder)

            let response = try #require(try await client.check(client.bindingRequest(for: session, password: "not-the-password"),
                                                               to: transport.localPort))
            let message = try STUN.parse(response)
            #expect(message.messageClass == .errorResponse)
            #expect(message.errorCode?.code == 401)

            // A DTLS ClientHello from the unbound address is ignored. The server answers datagrams
            // in order, so once the next 401 is here, any DTLS answer would be too.
            let dtls = try DTLSEndpoint(certificate: client.certificate, role: .client, remoteFingerprint: transport.certificate.fingerprintBytes)
            dtls.start()
            for d in dtls.takeDatagrams() { try client.send(d, to: transport.localPort) }
            try client.send(client.bindingRequest(for: session, password: "still-wrong"), to: transport.localPort)
            #expect(await client.next(where: { classifyDatagram($0) == .stun }) != nil)
            #expect(client.inbox.take().allSatisfy { classifyDatagram($0) != .dtls })
            #expect(pc.stats.state == .new)
            #expect(pc.stats.remoteAddress == nil)
            #expect(recorder.snapshot.connected == 0)
        }
    }

    @Test func peerThatStopsSendingSTUNIsClosedWhenConsentExpires() async throws {
        var limits = WebRTCLimits()
        limits.consentTimeout = .seconds(2)
        limits.tickInterval = .milliseconds(50)
        try await Self.withTransport(limits: limits) { transport, group in
            let client = try await UDPTestPeer(group: group)
            defer { Task { await client.close() } }
            let session = try client.negotiate(with: transport)
            let recorder = RecordingDelegate()
            let pc = try transport.register(session, delegate: recorder)
            #expect(try await client.connect(to: transport, session: session) != nil)
            #expect(await eventually(within: 10) { recorder.snapshot.connected == 1 })
            // No more Binding requests: consent runs out.
            #expect(await eventually(within: 15) { recorder.snapshot.closed == ["consent expired"] })
            #expect(pc.stats.state == .closed)
            #expect(transport.sessionCount == 0)
        }
    }

    @Test func sessionThatNeverConnectsTimesOut() async throws {
        var limits = WebRTCLimits()
        limits.handshakeTimeout = .milliseconds(300)
        limits.tickInterval = .milliseconds(50)
        try await Self.withTransport(limits: limits) { transport, group in
            let client = try await UDPTestPeer(group: group)
            defer { Task { await client.close() } }
            let recorder = RecordingDelegate()
            _ = try transport.register(try client.negotiate(with: transport), delegate: recorder)
            #expect(await eventually(within: 10) { recorder.snapshot.closed == ["handshake timeout"] })
            #expect(transport.sessionCount == 0)
        }
    }

    @Test func registrationIsBounded() async throws {
        var limits = WebRTCLimits()
        limits.maxSessions = 1
        try await Self.withTransport(limits: limits) { transport, group in
            let client = try await UDPTestPeer(group: group)
            defer { Task { await client.close() } }
            let session = try client.negotiate(with: transport, localUfrag: "only")
            let recorder = RecordingDelegate()
            let pc = try transport.register(session, delegate: recorder)
            #expect(throws: WebRTCTransportError.tooManySessions(1)) { try transport.register(session, delegate: recorder) }
            pc.close(reason: "bye")
            #expect(await eventually(within: 10) { transport.sessionCount == 0 })
            #expect(throws: Never.self) { try transport.register(session, delegate: recorder) }
        }
    }

    @Test func sendRateCapDropsInsteadOfQueueing() async throws {
        var limits = WebRTCLimits()
        limits.maxSendBytesPerSecond = 700
        try await Self.withTransport(limits: limits) { transport, group in
            let client = try await UDPTestPeer(group: group)
            defer { Task { await client.close() } }
            let session = try client.negotiate(with: transport)
            let recorder = RecordingDelegate()
            let pc = try transport.register(session, delegate: recorder)
            #expect(try await client.connect(to: transport, session: session) != nil)
            #expect(await eventually(within: 10) { recorder.snapshot.connected == 1 })
            let big = Self.rtp(seq: 1) + Array(repeating: 0, count: 400)  // 612 bytes; the bucket holds 700 and refills 700 bytes/s
            #expect(pc.sendRTP(big))
            #expect(!pc.sendRTP(big))
            #expect(pc.stats.packetsDropped == 1)
        }
    }

    /// While the loop is busy nothing drains: the per-peer pending-bytes cap, then drops.
    @Test func pendingBytesCapDropsWhileTheLoopIsBusy() async throws {
        var limits = WebRTCLimits()
        limits.maxPendingBytesPerPeer = 1000
        try await Self.withTransport(limits: limits) { transport, group in
            let client = try await UDPTestPeer(group: group)
            defer { Task { await client.close() } }
            let session = try client.negotiate(with: transport)
            let recorder = RecordingDelegate()
            let pc = try transport.register(session, delegate: recorder)
            let srtp = try #require(try await client.connect(to: transport, session: session))
            #expect(await eventually(within: 10) { recorder.snapshot.connected == 1 })

            // Not a future: registering its callback would need the very loop we block.
            let busy = DispatchSemaphore(value: 0)
            let blocked = RecordingDelegate()
            transport.core.loop.execute { blocked.peerConnected(pc); busy.wait() }
            #expect(await eventually(within: 10) { blocked.snapshot.connected == 1 })
            let packets = (0..<6).map { Self.rtp(seq: UInt16(20 + $0)) }  // 212 bytes each
            let accepted = packets.map { pc.sendRTP($0) }
            #expect(accepted == [true, true, true, true, false, false])
            transport.core.setWritable(false)
            #expect(!pc.sendRTP(Self.rtp(seq: 40)), "a socket that is not writable takes nothing")
            transport.core.setWritable(true)
            busy.signal()

            // The four accepted ones arrive, in order.
            var got: [[UInt8]] = []
            _ = await eventually(within: 10) {
                got += client.inbox.take().filter { classifyDatagram($0) == .rtp }.compactMap { try? srtp.unprotectRTP($0) }
                return got.count >= 4
            }
            #expect(got == Array(packets.prefix(4)))
            #expect(pc.stats.packetsDropped == 3)
            #expect(pc.stats.packetsSent == 4)
        }
    }

    /// A peer that moves (another local address, e.g. Wi-Fi to cellular) and nominates the new
    /// pair gets the media there; the old address still counts as validated.
    @Test func latestNominatedAddressReceivesTheMedia() async throws {
        try await Self.withTransport { transport, group in
            let first = try await UDPTestPeer(group: group)
            let moved = try await UDPTestPeer(group: group, ufrag: first.ufrag)
            defer { Task { await first.close(); await moved.close() } }
            let session = try first.negotiate(with: transport)
            let recorder = RecordingDelegate()
            let pc = try transport.register(session, delegate: recorder)
            let srtp = try #require(try await first.connect(to: transport, session: session))
            #expect(await eventually(within: 10) { recorder.snapshot.connected == 1 })

            // Checked but not nominated: the media stays where it was.
            try moved.send(moved.bindingRequest(for: session, useCandidate: false), to: transport.localPort)
            #expect(await moved.next(where: { classifyDatagram($0) == .stun }) != nil)
            #expect(pc.sendRTP(Self.rtp(seq: 1)))
            #expect(try srtp.unprotectRTP(try #require(await first.next(where: { classifyDatagram($0) == .rtp }))) == Self.rtp(seq: 1))

            try moved.send(moved.bindingRequest(for: session, useCandidate: true), to: transport.localPort)
            #expect(await moved.next(where: { classifyDatagram($0) == .stun }) != nil)
            #expect(pc.sendRTP(Self.rtp(seq: 2)))
            #expect(try srtp.unprotectRTP(try #require(await moved.next(where: { classifyDatagram($0) == .rtp }))) == Self.rtp(seq: 2))
            #expect(pc.stats.remoteAddress?.hasSuffix(":\(moved.port)") == true)

            // SRTCP from the first (still validated) address is accepted.
            try first.send(try srtp.protectRTCP(RTCP.pli(senderSSRC: 1, mediaSSRC: 0x1111)), to: transport.localPort)
            #expect(await eventually(within: 10) { pc.stats.plisReceived == 1 })
        }
    }
}
