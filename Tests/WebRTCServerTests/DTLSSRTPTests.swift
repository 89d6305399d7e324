import NIOCore
import Testing
@testable import WebRTCServer

/// Both DTLS roles in memory, no sockets: the handshake, the SRTP keys it yields, and what SRTP refuses.
@Suite struct DTLSSRTPTests {
    /// Carries every pending datagram between the two until neither has anything to say.
    static func handshake(_ client: DTLSEndpoint, _ server: DTLSEndpoint) {
        client.start()
        for _ in 0..<20 {
            let toServer = client.takeDatagrams(), toClient = server.takeDatagrams()
            if toServer.isEmpty && toClient.isEmpty { break }
            for d in toServer { server.receive(d) }
            for d in toClient { client.receive(d) }
        }
    }

    static func pair() throws -> (client: DTLSEndpoint, server: DTLSEndpoint) {
        let serverCert = try DTLSCertificate.generate(), clientCert = try DTLSCertificate.generate()
        let client = try DTLSEndpoint(certificate: clientCert, role: .client, remoteFingerprint: serverCert.fingerprintBytes)
        let server = try DTLSEndpoint(certificate: serverCert, role: .server, remoteFingerprint: clientCert.fingerprintBytes)
        return (client, server)
    }

    static func rtp(seq: UInt16, ssrc: UInt32 = 0x1234_5678, payload: [UInt8] = Array(0..<100)) -> [UInt8] {
        [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0x10, 0,
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF)] + payload
    }

    @Test func certificateFingerprintIsSHA256InSDPForm() throws {
        let a = try DTLSCertificate.generate(), b = try DTLSCertificate.generate()
        #expect(a.fingerprintBytes.count == 32)
        #expect(a.fingerprintSHA256.count == 32 * 3 - 1)
        #expect(DTLSCertificate.parse(fingerprint: a.fingerprintSHA256) == a.fingerprintBytes)
        #expect(DTLSCertificate.parse(fingerprint: a.fingerprintSHA256.lowercased()) == a.fingerprintBytes)
        #expect(DTLSCertificate.parse(fingerprint: "AB:CD") == nil)
        #expect(a.fingerprintBytes != b.fingerprintBytes)
    }

    @Test func handshakeInMemoryDerivesMatchingSRTPKeys() throws {
        let (client, server) = try Self.pair()
        Self.handshake(client, server)
        #expect(client.state == .connected)
        #expect(server.state == .connected)
        let ck = try #require(client.srtpKeys()), sk = try #require(server.srtpKeys())
        #expect(ck.profile == sk.profile)
        #expect(sk.profile == .aeadAes128Gcm, "GCM is preferred")
        #expect(ck.localKeySalt == sk.remoteKeySalt)
        #expect(ck.remoteKeySalt == sk.localKeySalt)
        #expect(ck.localKeySalt != ck.remoteKeySalt)
        #expect(ck.localKeySalt.count == (ck.profile == .aes128CmSha1_80 ? 30 : 28))
    }

    @Test func rtpAndRTCPProtectedByOneSideAreReadByTheOther() throws {
        let (client, server) = try Self.pair()
        Self.handshake(client, server)
        let tx = try SRTPSession(keys: try #require(server.srtpKeys()))
        let rx = try SRTPSession(keys: try #require(client.srtpKeys()))
        let packet = Self.rtp(seq: 1)
        let protected = try tx.protectRTP(packet)
        #expect(protected.count > packet.count)
        #expect(Array(protected[12...]) != Array(packet[12...]))
        #expect(try rx.unprotectRTP(protected) == packet)

        let pli: [UInt8] = [0x81, 206, 0, 2, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78]
        let srtcp = try rx.protectRTCP(pli)
        #expect(try tx.unprotectRTCP(srtcp) == pli)
    }

    @Test func tamperedAndReplayedPacketsAreRefused() throws {
        let (client, server) = try Self.pair()
        Self.handshake(client, server)
        let tx = try SRTPSession(keys: try #require(server.srtpKeys()))
        let rx = try SRTPSession(keys: try #require(client.srtpKeys()))

        var tampered = try tx.protectRTP(Self.rtp(seq: 10))
        tampered[20] ^= 0x01
        #expect(throws: SRTPError.self) { try rx.unprotectRTP(tampered) }
        do {
            _ = try rx.unprotectRTP(tampered)
            Issue.record("a tampered packet was accepted")
        } catch { #expect(error.isAuthenticationFailure) }

        let good = try tx.protectRTP(Self.rtp(seq: 11))
        #expect(try rx.unprotectRTP(good) == Self.rtp(seq: 11))
        do {
            _ = try rx.unprotectRTP(good)
            Issue.record("a replayed packet was accepted")
        } catch { #expect(error.isReplay) }
        #expect(throws: SRTPError.badPacket) { try rx.unprotectRTP([0x80, 96, 0]) }
    }

    /// "A replayed DTLS fingerprint is refused": the peer's certificate is not the one its SDP named.
    @Test func peerWhoseFingerprintDiffersFails() throws {
        let serverCert = try DTLSCertificate.generate(), clientCert = try DTLSCertificate.generate()
        let impostor = try DTLSCertificate.generate()
        let client = try DTLSEndpoint(certificate: impostor, role: .client, remoteFingerprint: serverCert.fingerprintBytes)
        let server = try DTLSEndpoint(certificate: serverCert, role: .server, remoteFingerprint: clientCert.fingerprintBytes)
        Self.handshake(client, server)
        guard case .failed(let why) = server.state else {
            Issue.record("server state \(server.state)")
            return
        }
        #expect(why.contains("fingerprint"))
        #expect(server.srtpKeys() == nil)
    }

    @Test func handshakeRecordsFitTheMTUAndRetransmitTimerRuns() throws {
        let (client, server) = try Self.pair()
        client.start()
        let hello = client.takeDatagrams()
        #expect(!hello.isEmpty)
        #expect(client.nextTimeout != nil)
        for d in hello { server.receive(d) }
        let flight = server.takeDatagrams()
        #expect(!flight.isEmpty)
        #expect(flight.allSatisfy { $0.count <= 1200 })
        // Garbage never traps and never connects.
        #expect(server.receive([0x16, 0xFE, 0xFD, 0, 0]) != .connected)
    }
}

extension DTLSSRTPTests {
    @Test func protectIntoAByteBufferMatchesTheArrayPath() throws {
        let (client, server) = try Self.pair()
        Self.handshake(client, server)
        let tx = try SRTPSession(keys: try #require(server.srtpKeys()))
        let rx = try SRTPSession(keys: try #require(client.srtpKeys()))
        var buffer = ByteBuffer()
        for seq in UInt16(1)...3 {
            try tx.protect(Self.rtp(seq: seq), rtcp: false, into: &buffer)
            #expect(try rx.unprotectRTP(Array(buffer.readableBytesView)) == Self.rtp(seq: seq))
        }
        #expect(throws: SRTPError.badPacket) { try tx.protect([1, 2, 3], rtcp: false, into: &buffer) }
    }
}

extension DTLSSRTPTests {
    /// The other profile DTLS may pick (browsers that offer no GCM), with fixed keys.
    @Test func aes128CmSha1_80RoundTripAndBadKeyLengths() throws {
        let a = (0..<30).map { UInt8($0) }, b = (0..<30).map { UInt8(100 + $0) }
        let tx = try SRTPSession(keys: SRTPKeyMaterial(profile: .aes128CmSha1_80, localKeySalt: a, remoteKeySalt: b))
        let rx = try SRTPSession(keys: SRTPKeyMaterial(profile: .aes128CmSha1_80, localKeySalt: b, remoteKeySalt: a))
        let protected = try tx.protectRTP(Self.rtp(seq: 5))
        #expect(protected.count == Self.rtp(seq: 5).count + 10, "80-bit tag")
        #expect(try rx.unprotectRTP(protected) == Self.rtp(seq: 5))
        #expect(throws: SRTPError.self) {
            try SRTPSession(keys: SRTPKeyMaterial(profile: .aeadAes128Gcm, localKeySalt: a, remoteKeySalt: b))  // GCM takes 28
        }
    }
}
