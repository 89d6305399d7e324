import Foundation
import Testing
import WebRTC

/// The playout-delay header extension: its 3 bytes, its negotiation (WHEP answers map it back
/// on video only), and the packetizer stamping it on a frame's first packet within the MTU.
@Suite struct PlayoutDelayTests {
    @Test func elementBytes() {
        #expect(PlayoutDelay.immediate.data == [0x00, 0x00, 0x00])
        // min 100 ms = 10 (0x00A), max 400 ms = 40 (0x028): 0000 0000 | 1010 0000 | 0010 1000.
        #expect(PlayoutDelay(minMs: 100, maxMs: 400).data == [0x00, 0xA0, 0x28])
        // The 12-bit ceiling, 10 ms steps, max never below min.
        #expect(PlayoutDelay(minMs: 0, maxMs: 1_000_000).data == [0x00, 0x0F, 0xFF])
        #expect(PlayoutDelay(minMs: 50_000, maxMs: 0) == PlayoutDelay(minMs: 40_950, maxMs: 40_950))
        #expect(PlayoutDelay(minMs: -5, maxMs: 19) == PlayoutDelay(minMs: 0, maxMs: 10))
        #expect(PlayoutDelay(data: [0x00, 0xA0, 0x28]) == PlayoutDelay(minMs: 100, maxMs: 400))
        #expect(PlayoutDelay(data: [0xFF, 0xFF, 0xFF])?.maxMs == 40_950)
        #expect(PlayoutDelay(data: [0, 0]) == nil)
    }

    func answer(_ offer: String, role: WebRTCRole) throws -> (sdp: String, session: NegotiatedSession) {
        try SDPNegotiator.answer(offer: offer, role: role, localUfrag: "sluiceUf", localPwd: "sluicePasswordIs24Chars/",
                                 localFingerprintSHA256: SDPTests.ourFingerprint, candidateIP: "127.0.0.1", candidatePort: 8189,
                                 h264ProfileLevelID: role == .whep ? "640028" : nil, ssrcs: (video: 1111, audio: 2222))
    }

    @Test func whepAnswerMapsItOnVideo() throws {
        // Chromium 156 maps it as 5 on video (and audio has no such line).
        let (sdp, session) = try answer(CapturedOffers.chromium156WHEP, role: .whep)
        #expect(session.video?.playoutDelayExtensionID == 5)
        #expect(session.audio?.playoutDelayExtensionID == nil)
        let line = "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
        #expect(sdp.components(separatedBy: "\r\n").filter { $0 == line }.count == 1)
        let video = sdp.components(separatedBy: "m=audio").first ?? ""
        #expect(video.contains(line + "\r\n"))
        // The answer parses back with the same mapping.
        let reparsed = try SessionDescription.parse(sdp)
        #expect(reparsed.media.first?.extensionMaps.first { $0.uri == PlayoutDelay.uri }?.id == 5)
    }

    @Test func notAnsweredWhereItDoesNotApply() throws {
        // WHIP: Sluice receives; the publisher's player delay is not its to bound.
        let (whip, session) = try answer(CapturedOffers.chromium156WHIP, role: .whip)
        #expect(session.video?.playoutDelayExtensionID == nil)
        #expect(!whip.contains("playout-delay"))
        // Not offered, or offered only with a two-byte id (15+): not answered.
        let none = CapturedOffers.chromium156WHEP.replacingOccurrences(of: "a=extmap:5 \(PlayoutDelay.uri)\r\n", with: "")
        #expect(none != CapturedOffers.chromium156WHEP)
        #expect(try answer(none, role: .whep).session.video?.playoutDelayExtensionID == nil)
        let twoByte = CapturedOffers.chromium156WHEP.replacingOccurrences(of: "a=extmap:5 \(PlayoutDelay.uri)", with: "a=extmap:15 \(PlayoutDelay.uri)")
        let (sdp, s) = try answer(twoByte, role: .whep)
        #expect(s.video?.playoutDelayExtensionID == nil)
        #expect(!sdp.contains("playout-delay"))
    }

    @Test func packetizerStampsTheFirstPacketWithinTheMTU() throws {
        let mtu = 1200
        let element = PlayoutDelay.immediate.element(id: 5)
        let idr: [UInt8] = [0x65] + (1..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1F], pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]
        var plain = H264Packetizer(payloadType: 102, ssrc: 0xABCD, mtu: mtu, sequenceNumber: 7)
        var stamped = H264Packetizer(payloadType: 102, ssrc: 0xABCD, mtu: mtu, sequenceNumber: 7)
        let a = plain.packetize(nalus: [sps, pps, idr], timestamp: 90_000)
        let b = stamped.packetize(nalus: [sps, pps, idr], timestamp: 90_000, firstPacketExtensions: [element])

        // The first packet, byte-exact: X bit set, then 0xBEDE, one word, id 5 / len 3 with [0 0 0].
        #expect(Array(b[0].prefix(20)) == [0x90, 102, 0x00, 0x07, 0x00, 0x01, 0x5F, 0x90, 0x00, 0x00, 0xAB, 0xCD,
                                           0xBE, 0xDE, 0x00, 0x01, 0x52, 0x00, 0x00, 0x00])
        #expect(Array(b[0].dropFirst(20)) == Array(a[0].dropFirst(12))) // the same STAP-A
        // The rest carry no extension; none exceeds the MTU (room shrank by the 8 bytes).
        for p in b.dropFirst() { #expect(p[0] == 0x80) }
        #expect(b.allSatisfy { $0.count <= mtu })
        #expect(b.dropFirst().dropLast().allSatisfy { $0.count == mtu - 8 })
        // The same NAL units come out of either.
        func payload(_ packets: [[UInt8]]) -> [[UInt8]] {
            var d = H264Depacketizer()
            var out: [[UInt8]] = []
            for p in packets {
                if let unit = d.push(rtp: p) { out += unit.nalus }
            }
            return out
        }
        #expect(payload(b) == [sps, pps, idr])
        #expect(payload(a) == payload(b))
        #expect(try RTPHeader.parse(b[0]).header.extensionData(id: 5).flatMap(PlayoutDelay.init(data:)) == .immediate)
    }
}
