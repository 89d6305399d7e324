import Logging
import NIOCore
import NIOPosix
import Testing
import WebRTC
@testable import WebRTCServer

/// Hostile datagrams straight into the engine (no socket): nothing traps, nothing binds.
@Suite struct WebRTCTransportRobustnessTests {
    /// SplitMix64: the same "random" datagrams every run.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomAndMutatedDatagramsNeverBindAPeer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let cert = try DTLSCertificate.generate(), peerCert = try DTLSCertificate.generate()
        let offer = """
            v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r
            a=ice-ufrag:them\r\na=ice-pwd:their-password-0123456789\r\na=fingerprint:sha-256 \(peerCert.fingerprintSHA256)\r
            a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:102 H264/90000\r
            a=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n
            """
        let session = try SDPNegotiator.answer(offer: offer, role: .whep, localUfrag: "us", localPwd: "our-password-0123456789",
                                               localFingerprintSHA256: cert.fingerprintSHA256, candidateIP: "127.0.0.1", candidatePort: 9,
                                               h264ProfileLevelID: nil, ssrcs: (video: 1, audio: 2)).session
        let valid = STUN.bindingRequest(transactionID: Array(1...12), username: "us:them", password: "our-password-0123456789",
                                        priority: 1, useCandidate: true)
        let (peers, state, refused) = try await loop.submit { () -> (Int, PeerStats.State, Int) in
            let core = TransportCore(limits: .default, logger: Logger(label: "webrtc-robustness"), loop: loop, certificate: cert)
            let engine = core.engine.value
            let pc = PeerConnection(id: "p", session: session, delegate: RecordingDelegate(), transport: core)
            engine.add(pc)
            var rng = Seeded(state: 16)
            for i in 0..<6_000 {
                let address = try SocketAddress(ipAddress: "10.0.\(i % 7).\(i % 250 + 1)", port: 1000 + i % 50)
                var d: [UInt8]
                if i % 3 == 0 {
                    // A valid request with one byte changed anywhere MESSAGE-INTEGRITY covers, or in
                    // the MAC itself (after it only FINGERPRINT follows: ICELiteTests covers that).
                    d = valid
                    d[Int.random(in: 0..<d.count - 8, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                } else {
                    d = (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    // Cover every demultiplexer branch: STUN, DTLS, RTP/RTCP first bytes.
                    if !d.isEmpty { d[0] = [0, 1, 22, 23, 0x80, 0x90, 0xFF][i % 7] }
                    if d.count > 1, i % 5 == 0 { d[1] = 200 }
                }
                engine.receive(d, from: address)
            }
            return (engine.peerCount, pc.stats.state, engine.refusedDatagrams)
        }.get()
        #expect(peers == 1)
        #expect(state == .new, "no mutated request passed MESSAGE-INTEGRITY")
        #expect(refused > 3_000)
        try await group.shutdownGracefully()
    }

    @Test func garbageIntoBothDTLSRolesNeverConnects() throws {
        let (client, server) = try DTLSSRTPTests.pair()
        client.start()
        var rng = Seeded(state: 7)
        for i in 0..<1_000 {
            var d = (0..<Int.random(in: 0...1400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if d.count > 2 { d[0] = 22; d[1] = 0xFE; d[2] = 0xFD }
            if i % 2 == 0 { server.receive(d) } else { client.receive(d) }
            _ = server.takeDatagrams()
            _ = client.takeDatagrams()
        }
        #expect(server.state != .connected)
        #expect(client.state != .connected)
        #expect(server.srtpKeys() == nil)
    }
}
