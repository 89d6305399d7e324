import Testing
import WebRTC
import WebRTCServer

/// The pieces of `bench whep`'s viewer that need no network: its offer negotiates as a
/// browser's does, and it tells keyframes from the RTP payload.
@Suite struct WebRTCClientPeerTests {
    @Test func offerNegotiatesVideoAndOpus() throws {
        let cert = try DTLSCertificate.generate()
        let offer = SDPOfferBuilder(ufrag: "abcd", pwd: "0123456789abcdefghijklmn", fingerprintSHA256: cert.fingerprintSHA256).build()
        #expect(offer.contains("a=group:BUNDLE 0 1") && offer.contains("a=setup:actpass") && offer.contains("a=recvonly"))
        let (sdp, session) = try SDPNegotiator.answer(offer: offer, role: .whep, localUfrag: "srv1", localPwd: "serverpwd-0123456789abcdef",
                                                      localFingerprintSHA256: cert.fingerprintSHA256, candidateIP: "127.0.0.1",
                                                      candidatePort: 8189, h264ProfileLevelID: "4d001f", ssrcs: (video: 1, audio: 2))
        #expect(session.remoteUfrag == "abcd")
        #expect(session.video?.payloadType == 104, "the 4d001f profile matches the ladder's: \(sdp)")
        #expect(session.audio?.codec.lowercased() == "opus")
    }

    @Test func keyframesAreFoundAloneInSTAPAAndAtTheStartOfFUA() {
        #expect(WebRTCClientPeer.carriesIDR([0x65, 1, 2]))
        #expect(!WebRTCClientPeer.carriesIDR([0x41, 1, 2]))
        // STAP-A: SPS (3 bytes), then an IDR (2 bytes).
        #expect(WebRTCClientPeer.carriesIDR([0x78, 0, 3, 0x67, 1, 2, 0, 2, 0x65, 9]))
        #expect(!WebRTCClientPeer.carriesIDR([0x78, 0, 3, 0x67, 1, 2, 0, 2, 0x68, 9]))
        // A truncated STAP-A never reads past its end.
        #expect(!WebRTCClientPeer.carriesIDR([0x78, 0xFF, 0xFF, 0x67]))
        // FU-A: start bit and type 5; a middle fragment is not a new keyframe.
        #expect(WebRTCClientPeer.carriesIDR([0x7C, 0x85, 1]))
        #expect(!WebRTCClientPeer.carriesIDR([0x7C, 0x05, 1]))
        #expect(!WebRTCClientPeer.carriesIDR([]))
    }
}
