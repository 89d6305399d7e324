import Testing
import WebRTC

@Suite struct SDPTests {
    static let ourFingerprint = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

    func answer(_ offer: String, role: WebRTCRole = .whep, profile: String? = "42e01f") throws(SDPError) -> (sdp: String, session: NegotiatedSession) {
        try SDPNegotiator.answer(offer: offer, role: role, localUfrag: "sluiceUf", localPwd: "sluicePasswordIs24Chars/",
                                 localFingerprintSHA256: Self.ourFingerprint, candidateIP: "192.0.2.10", candidatePort: 8189,
                                 h264ProfileLevelID: profile, ssrcs: (video: 1111, audio: 2222))
    }

    func lines(_ sdp: String) -> [String] {
        sdp.split(separator: "\r\n").map(String.init)
    }

    /// The lines of the answer's media section for a mid.
    func section(_ sdp: String, mid: String) -> [String] {
        var sections: [[String]] = []
        for line in lines(sdp) {
            if line.hasPrefix("m=") { sections.append([line]) } else if !sections.isEmpty { sections[sections.count - 1].append(line) }
        }
        return sections.first { $0.contains("a=mid:\(mid)") } ?? []
    }

    @Test func parsesChromiumWHEPOffer() throws {
        let sdp = try SessionDescription.parse(ChromiumOffers.whepRecvonly)
        #expect(sdp.bundleMids == ["0", "1"])
        #expect(sdp.media.map(\.kind) == ["video", "audio"])
        let video = sdp.media[0]
        #expect(video.mid == "0")
        #expect(video.direction == "recvonly")
        #expect(video.port == 9)
        #expect(video.proto == "UDP/TLS/RTP/SAVPF")
        #expect(video.formats.count == 25)
        #expect(video.rtpmaps[106]?.encoding == "H264")
        #expect(video.rtpmaps[106]?.clockRate == 90000)
        #expect(video.rtpmaps[45]?.encoding == "AV1")
        #expect(video.fmtps[106]?["profile-level-id"] == "42e01f")
        #expect(video.fmtps[104]?["packetization-mode"] == "0")
        #expect(video.fmtps[97]?["apt"] == "96")
        #expect(video.rtcpFeedback[102]?.contains("nack pli") == true)
        #expect(video.extensionMaps.first { $0.uri == SDPNegotiator.transportCCURI }?.id == 4)
        #expect(video.has("rtcp-mux"))
        #expect(video.value("ice-ufrag") == "Lh9b")
        let audio = sdp.media[1]
        #expect(audio.rtpmaps[111] == RTPMap(payloadType: 111, encoding: "opus", clockRate: 48000, channels: 2))
    }

    /// A WHEP viewer's bandwidth estimate picks its rung: the answer says goog-remb on the chosen
    /// video format exactly when the offer did (Chromium does), never for audio or a WHIP publisher.
    @Test func answersGoogREMBExactlyWhenOffered() throws {
        let (sdp, session) = try answer(ChromiumOffers.whepRecvonly)
        #expect(section(sdp, mid: "0").contains("a=rtcp-fb:106 goog-remb"))
        #expect(section(sdp, mid: "0").filter { $0.contains("goog-remb") }.count == 1)
        #expect(!section(sdp, mid: "1").contains { $0.contains("goog-remb") })
        #expect(session.video?.remb == true && session.audio?.remb == false)
        // abs-send-time (which Sluice stamps for the browser's estimator) with the offer's id.
        let ast = try #require(SessionDescription.parse(ChromiumOffers.whepRecvonly).media[0].extensionMaps.first { $0.uri == AbsSendTime.uri })
        #expect(section(sdp, mid: "0").contains("a=extmap:\(ast.id) \(AbsSendTime.uri)"))
        #expect(session.video?.absSendTimeExtensionID == UInt8(ast.id) && session.audio?.absSendTimeExtensionID == nil)

        let plain = SDPOfferBuilder(ufrag: "abcd", pwd: "abcdefghijklmnopqrstuvwx", fingerprintSHA256: Self.ourFingerprint).build()
        #expect(!plain.contains("goog-remb"))
        let (unasked, unaskedSession) = try answer(plain)
        #expect(!unasked.contains("goog-remb") && unaskedSession.video?.remb == false)
        #expect(!unasked.contains("abs-send-time") && unaskedSession.video?.absSendTimeExtensionID == nil)

        let (whip, whipSession) = try answer(ChromiumOffers.whipSendonly, role: .whip, profile: nil)
        #expect(ChromiumOffers.whipSendonly.contains("goog-remb"))
        #expect(!whip.contains("goog-remb") && whipSession.video?.remb == false)
        #expect(!whip.contains("abs-send-time") && whipSession.video?.absSendTimeExtensionID == nil)
    }

    @Test func absSendTimeIsSixPointEighteenSecondsModulo64() {
        #expect(AbsSendTime.data(nanos: 0) == [0, 0, 0])
        #expect(AbsSendTime.data(nanos: 1_500_000_000) == [0x06, 0x00, 0x00]) // 1.5 × 2^18
        #expect(AbsSendTime.data(nanos: 64_000_000_000 + 250_000_000) == [0x01, 0x00, 0x00]) // wraps at 64 s
        #expect(AbsSendTime.data(nanos: UInt64.max).count == 3)
    }

    /// The sender stamps abs-send-time in a slot the packetizer reserved, in place: every packet
    /// keeps within the MTU and parses with the time as its first element (playout delay after it
    /// on the frame's first packet).
    @Test func absSendTimeSlotIsReservedInEveryPacketAndStampedInPlace() throws {
        var packetizer = H264Packetizer(payloadType: 102, ssrc: 7, mtu: 1200)
        let slot = try #require(AbsSendTime.slot(id: 3))
        #expect(AbsSendTime.slot(id: 15) == nil, "two-byte ids get no slot")
        let delay = PlayoutDelay(minMs: 0, maxMs: 0).element(id: 5)
        var packets = packetizer.packetize(nalus: [[0x65] + [UInt8](repeating: 0xAB, count: 5_000)], timestamp: 90,
                                           firstPacketExtensions: [delay], everyPacketExtensions: [slot])
        #expect(packets.count > 1)
        for i in packets.indices {
            #expect(AbsSendTime.stamp(&packets[i], id: 3, nanos: 1_500_000_000))
            #expect(packets[i].count <= 1200)
            let header = try RTPHeader.parse(packets[i]).header
            let expected = [RTPHeaderExtension(id: 3, data: [0x06, 0, 0])] + (i == 0 ? [delay] : [])
            #expect(header.extensions == expected)
        }
        var other = H264Packetizer(payloadType: 102, ssrc: 7)
        var plain = other.packetize(nalus: [[0x41, 1, 2]], timestamp: 0)[0]
        #expect(!AbsSendTime.stamp(&plain, id: 3, nanos: 0), "no slot: nothing is written")
    }

    @Test func answersWHEPWithH264AndOpus() throws {
        let (sdp, session) = try answer(ChromiumOffers.whepRecvonly)
        let all = lines(sdp)
        #expect(all.first == "v=0")
        #expect(all.contains("a=ice-lite"))
        #expect(all.contains("a=group:BUNDLE 0 1"))
        #expect(sdp.hasSuffix("\r\n"))

        let video = section(sdp, mid: "0")
        #expect(video.first == "m=video 8189 UDP/TLS/RTP/SAVPF 106")
        for line in [
            "a=setup:passive", "a=ice-ufrag:sluiceUf", "a=ice-pwd:sluicePasswordIs24Chars/",
            "a=fingerprint:sha-256 \(Self.ourFingerprint)", "a=rtcp-mux", "a=sendonly",
            "a=rtpmap:106 H264/90000",
            "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            "a=rtcp-fb:106 nack", "a=rtcp-fb:106 nack pli", "a=rtcp-fb:106 ccm fir", "a=rtcp-fb:106 transport-cc",
            "a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "a=ssrc:1111 cname:sluice", "a=candidate:1 1 udp 2130706431 192.0.2.10 8189 typ host",
        ] {
            #expect(video.contains(line), "video section lacks \(line)")
        }
        #expect(!video.contains { $0.hasPrefix("a=rtpmap:96") })   // only the chosen codec

        let audio = section(sdp, mid: "1")
        #expect(audio.first == "m=audio 8189 UDP/TLS/RTP/SAVPF 111")
        for line in ["a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1", "a=sendonly", "a=ssrc:2222 cname:sluice",
                     "a=rtcp-fb:111 transport-cc", "a=setup:passive"] {
            #expect(audio.contains(line), "audio section lacks \(line)")
        }

        #expect(session.role == .whep)
        #expect(session.remoteUfrag == "Lh9b")
        #expect(session.remotePwd == "kzqJ5hSmPd1v1UjJf6Q9f7gE")
        #expect(session.remoteFingerprint.algorithm == "sha-256")
        #expect(session.remoteFingerprint.bytes.count == 32)
        #expect(session.remoteFingerprint.hex.hasPrefix("75:7E:59"))
        #expect(session.remoteSetup == "actpass")
        #expect(session.localUfrag == "sluiceUf")
        let v = try #require(session.video)
        #expect(v.payloadType == 106)
        #expect(v.mid == "0")
        #expect(v.ssrc == 1111)
        #expect(v.clockRate == 90000)
        #expect(v.nack && v.pli && v.fir && v.transportCC)
        #expect(v.transportCCExtensionID == 4)
        #expect(v.profileLevelID == "42e01f")
        let a = try #require(session.audio)
        #expect(a.payloadType == 111)
        #expect(a.clockRate == 48000)
        #expect(a.channels == 2)
        #expect(a.ssrc == 2222)
        #expect(session.track(payloadType: 111) == a)

        // The answer is itself valid SDP.
        let reparsed = try SessionDescription.parse(sdp)
        #expect(reparsed.media.count == 2)
        #expect(reparsed.sessionAttributes.contains(SDPAttribute("ice-lite")))
    }

    @Test func picksTheOfferedProfileThatCarriesTheLadders() throws {
        // x264's constrained baseline (42c0..) → Chromium's 42e01f; level from the ladder.
        #expect(try answer(ChromiumOffers.whepRecvonly, profile: "42c028").session.video?.payloadType == 106)
        #expect(try answer(ChromiumOffers.whepRecvonly, profile: "42c028").session.video?.profileLevelID == "42e028")
        #expect(try answer(ChromiumOffers.whepRecvonly, profile: "4d0028").session.video?.payloadType == 127)
        #expect(try answer(ChromiumOffers.whepRecvonly, profile: "640028").session.video?.payloadType == 112)
        #expect(try answer(ChromiumOffers.whepRecvonly, profile: "640c1f").session.video?.payloadType == 112)   // constrained high on high
        #expect(try answer(ChromiumOffers.whepRecvonly, profile: nil).session.video?.profileLevelID == "42e01f")
        // High on a browser that offers no plain High: high 4:4:4 contains it; without that
        // either, the highest offered profile is answered and flagged.
        let no64 = ChromiumOffers.whepRecvonly.replacingAll("profile-level-id=64001f", with: "profile-level-id=f4001f")
        let onF4 = try answer(no64, profile: "640028").session.video
        #expect(onF4?.payloadType == 112)
        #expect(onF4?.profileLevelID == "f40028")
        #expect(onF4?.profileFallback == false)
        let noHigh = ChromiumOffers.whepRecvonly.replacingAll("profile-level-id=64001f", with: "profile-level-id=42001f")
        let fallback = try answer(noHigh, profile: "640028").session.video
        #expect(fallback?.payloadType == 127)   // main
        #expect(fallback?.profileFallback == true)
        #expect(try answer(ChromiumOffers.whepRecvonly, profile: "640028").session.video?.profileFallback == false)
        // Packetization mode 0 formats are never chosen.
        let mode0Only = ChromiumOffers.whepRecvonly.replacingAll("packetization-mode=1", with: "packetization-mode=0")
        #expect(throws: SDPError.self) { try answer(mode0Only) }
    }

    @Test func answersWHIPRecvonlyWithThePublishersSSRCs() throws {
        let (sdp, session) = try answer(ChromiumOffers.whipSendonly, role: .whip, profile: nil)
        let audio = section(sdp, mid: "0"), video = section(sdp, mid: "1")
        #expect(audio.contains("a=recvonly"))
        #expect(video.contains("a=recvonly"))
        #expect(!video.contains { $0.hasPrefix("a=ssrc:") })   // we send nothing
        #expect(session.role == .whip)
        #expect(session.remoteUfrag == "pQ3x")
        #expect(session.audio?.remoteSSRC == 3_735_928_559)
        #expect(session.video?.remoteSSRC == 2_882_400_001)   // not its RTX
        #expect(session.video?.payloadType == 106)
        #expect(lines(sdp).contains("a=group:BUNDLE 0 1"))
    }

    @Test func rejectsSectionsItCannotServeButKeepsTheirPlace() throws {
        // A data channel section is answered with port 0 and left out of the BUNDLE group.
        let offer = ChromiumOffers.whepRecvonly.replacingAll("a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2")
            + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=sctp-port:5000\r\n"
        let (sdp, _) = try answer(offer)
        let ms = lines(sdp).filter { $0.hasPrefix("m=") }
        #expect(ms.count == 3)
        #expect(ms[2] == "m=application 0 UDP/DTLS/SCTP webrtc-datachannel")
        #expect(lines(sdp).contains("a=group:BUNDLE 0 1"))
    }

    @Test func refusesWithAReadableError() {
        func kind(_ offer: String, role: WebRTCRole = .whep) -> SDPError.Kind? {
            do { _ = try answer(offer, role: role); return nil } catch { return error.kind }
        }
        let whep = ChromiumOffers.whepRecvonly
        #expect(kind("hello") == .malformed)
        #expect(kind("") == .malformed)
        #expect(kind("v=0\r\nthis is not sdp\r\n") == .malformed)
        #expect(kind("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n") == .malformed)   // no media
        #expect(kind(whep.replacingAll("a=group:BUNDLE 0 1\r\n", with: "")) == .noBundle)
        #expect(kind(whep.replacingAll("a=rtcp-mux\r\n", with: "")) == .noRTCPMux)
        #expect(kind(whep.replacingAll("a=ice-ufrag:Lh9b\r\n", with: "")) == .missingICECredentials)
        #expect(kind(whep.replacingAll("a=ice-pwd:kzqJ5hSmPd1v1UjJf6Q9f7gE\r\n", with: "")) == .missingICECredentials)
        #expect(kind(whep.replacingAll("a=ice-pwd:kzqJ5hSmPd1v1UjJf6Q9f7gE", with: "a=ice-pwd:kzqJ5hSmPd1v1UjJf6Q9f7g!")) == .missingICECredentials)
        #expect(kind(whep.replacingAll("a=fingerprint:sha-256", with: "a=fingerprint:sha-1")) == .missingFingerprint)
        #expect(kind(whep.replacingAll("a=setup:actpass", with: "a=setup:passive")) == .badSetup)
        #expect(kind(whep, role: .whip) == .unsupported)   // a recvonly offer cannot publish
        #expect(kind(ChromiumOffers.whipSendonly, role: .whep) == .unsupported)

        // VP8/VP9/AV1 only: no common video codec, and the message names what was offered.
        let noH264 = whep.replacingAll("H264/90000", with: "VP8/90000")
        do {
            _ = try answer(noH264)
            Issue.record("an offer without H.264 was answered")
        } catch {
            #expect(error.kind == .noCommonCodec)
            #expect(error.message.contains("H.264"))
            #expect(error.message.contains("VP8"))
        }
        #expect(kind(whep.replacingAll("opus/48000/2", with: "ISAC/16000")) == .noCommonCodec)
    }

    /// fuzz-webrtc's finding: an m= line whose port is only slashes ("m=audio / UDP/TLS/RTP/SAVPF 111")
    /// split into nothing and trapped on `[0]`: one WHEP or WHIP POST took the server down.
    @Test func anMLinePortOfOnlySlashesIsMalformedNotATrap() {
        for port in ["/", "//", "/x"] {
            let offer = ChromiumOffers.whepRecvonly.replacingAll("m=audio 9 ", with: "m=audio \(port) ")
            #expect(throws: SDPError.self) { try SessionDescription.parse(offer) }
            do { _ = try answer(offer); Issue.record("answered an offer with m=audio \(port)") } catch { #expect(error.kind == .malformed) }
        }
        #expect((try? SessionDescription.parse(ChromiumOffers.whepRecvonly.replacingAll("m=audio 9 ", with: "m=audio 9/2 ")))?.media.last?.port == 9)
    }

    /// Its second: `a=extmap:/ URI` trapped the same way in `extensionMaps`; such a line is skipped.
    @Test func anExtmapIDOfOnlySlashesIsSkippedNotATrap() throws {
        let offer = ChromiumOffers.whepRecvonly.replacingAll("a=extmap:1 ", with: "a=extmap:/ ")
        let sdp = try SessionDescription.parse(offer)
        #expect(sdp.media[0].extensionMaps.allSatisfy { $0.id != 1 } && !sdp.media[0].extensionMaps.isEmpty)
        _ = try answer(offer)
    }

    @Test func localCredentialsMustBeICEChars() {
        // Chromium refuses an answer whose ice-pwd has other characters (seen with "!").
        #expect(throws: SDPError.self) {
            try SDPNegotiator.answer(offer: ChromiumOffers.whepRecvonly, role: .whep, localUfrag: "sluiceUf", localPwd: "sluicePasswordIs24Chars!",
                                     localFingerprintSHA256: Self.ourFingerprint, candidateIP: "127.0.0.1", candidatePort: 1,
                                     h264ProfileLevelID: nil, ssrcs: (video: 1, audio: 2))
        }
    }

    @Test func garbageNeverTraps() {
        var state: UInt64 = 12345
        let words = ["v=0", "m=video", "a=rtpmap:", "a=fmtp:106 ", "a=group:BUNDLE", "=", ":", " ", "\r\n", "a=mid:0", "9", "H264/90000",
                     "a=ssrc:", "a=extmap:", "a=fingerprint:sha-256 ", "m=audio 99999999999999999999 x y"]
        for _ in 0..<500 {
            var text = "v=0\r\n"
            for _ in 0..<40 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                text += words[Int(state >> 33) % words.count]
            }
            _ = try? SessionDescription.parse(text)
            _ = try? answer(text)
        }
        // Size bound.
        #expect(throws: SDPError.self) { try SessionDescription.parse("v=0\r\n" + String(repeating: "a=x\r\n", count: 20000)) }
    }

    @Test func profileLevelIDs() throws {
        #expect(H264ProfileLevelID("42e01f")?.profile == .constrainedBaseline)
        #expect(H264ProfileLevelID("42001f")?.profile == .baseline)
        #expect(H264ProfileLevelID("4d001f")?.profile == .main)
        #expect(H264ProfileLevelID("64001f")?.profile == .high)
        #expect(H264ProfileLevelID("640c1f")?.profile == .constrainedHigh)
        #expect(H264ProfileLevelID("640c1f")?.levelIDC == 0x1F)
        #expect(H264ProfileLevelID("zz") == nil)
        #expect(H264ProfileLevelID("7a001f") == nil)
        #expect(DTLSFingerprint(sdpValue: "sha-256 AB:cd:01")?.bytes == [0xAB, 0xCD, 0x01])
        #expect(DTLSFingerprint(sdpValue: "sha-256 AB:cd:1") == nil)
        #expect(DTLSFingerprint(algorithm: "sha-256", bytes: [0x0A, 0xFF]).hex == "0A:FF")
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

@Suite struct CapturedOfferTests {
    func answer(_ offer: String, role: WebRTCRole, profile: String?) throws(SDPError) -> (sdp: String, session: NegotiatedSession) {
        try SDPNegotiator.answer(offer: offer, role: role, localUfrag: "sluiceUf", localPwd: "sluicePasswordIs24Chars/",
                                 localFingerprintSHA256: SDPTests.ourFingerprint, candidateIP: "127.0.0.1", candidatePort: 8189,
                                 h264ProfileLevelID: profile, ssrcs: (video: 1111, audio: 2222))
    }

    @Test func chromium156WHEPOfferIsAnsweredForEveryLadderProfile() throws {
        let offer = CapturedOffers.chromium156WHEP
        let cb = try answer(offer, role: .whep, profile: "42c01f").session
        #expect(cb.video?.payloadType == 108)
        #expect(cb.video?.profileLevelID == "42e01f")
        #expect(cb.audio?.payloadType == 111)
        #expect(cb.video?.transportCCExtensionID == 4)
        #expect(cb.remoteUfrag == "ol9v")
        #expect(try answer(offer, role: .whep, profile: "4d0028").session.video?.payloadType == 116)
        // x264's High ladder: Chromium 156 offers no 64xx, but High 4:4:4 (f4) contains High.
        let high = try answer(offer, role: .whep, profile: "640028").session.video
        #expect(high?.payloadType == 41)
        #expect(high?.profileLevelID == "f40028")
        #expect(high?.profileFallback == false)
    }

    @Test func chromium156WHIPOfferIsAnswered() throws {
        let (sdp, session) = try answer(CapturedOffers.chromium156WHIP, role: .whip, profile: nil)
        #expect(session.video?.payloadType == 108)
        #expect(session.video?.remoteSSRC == 752_170_974)
        #expect(session.audio?.remoteSSRC == 350_066_666)
        #expect(sdp.contains("a=recvonly\r\n"))
        #expect(!sdp.contains("a=sendonly"))
        // A recvonly WHEP offer cannot publish, and the reverse.
        #expect(throws: SDPError.self) { try answer(CapturedOffers.chromium156WHEP, role: .whip, profile: nil) }
        #expect(throws: SDPError.self) { try answer(CapturedOffers.chromium156WHIP, role: .whep, profile: nil) }
    }
}
