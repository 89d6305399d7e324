import WebRTC

/// libFuzzer entry: what reaches the WebRTC tier from the network. The first byte picks the path;
/// the rest is the input. Parse errors are fine; a trap is a finding, and so is an output of our
/// own (a STUN response, an SDP answer) that our own parser refuses.
///   0 STUN datagram → parse, MESSAGE-INTEGRITY with a fixed key, FINGERPRINT, responses
///   1 / 2 SDP offer → SessionDescription, SDPNegotiator.answer as WHEP / WHIP
///   3 RTCP compound datagram
///   4 RTP packets, each behind a 2-byte length → RTPHeader, H264Depacketizer (two size limits)
///   5 one datagram → RFC 7983 demux → the parser the server would hand it to
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 6 {
    case 0: stun(input)
    case 1: sdp(input, role: .whep)
    case 2: sdp(input, role: .whip)
    case 3: _ = try? RTCP.parseCompound(input)
    case 4: rtp(input)
    default: demux(input)
    }
    return 0
}

/// RFC 5769's password, so its vectors in the corpus pass the integrity check.
let password = "VOkJxbRl1RmTxUk/WvJxBt"

func stun(_ bytes: [UInt8]) {
    // ICELite checks these only after parse succeeded; here they also see what parse refuses.
    _ = STUN.checkIntegrity(bytes, password: password)
    _ = STUN.checkFingerprint(bytes)
    guard let message = try? STUN.parse(bytes) else { return }
    _ = STUN.localUfrag(of: message)
    // Re-encoding what was parsed gives the same message back.
    let again = STUN.encode(message, fingerprint: false)
    precondition((try? STUN.parse(again)) == message, "STUN encode/parse round trip changed the message")
    // What ICELite answers must be valid STUN that our own checks accept.
    let success = STUN.bindingSuccess(for: message, mappedIP: [127, 0, 0, 1], mappedPort: 9, password: password)
    precondition((try? STUN.parse(success)) != nil && STUN.checkIntegrity(success, password: password)
                 && STUN.checkFingerprint(success), "a binding success we wrote does not verify")
    let error = STUN.bindingError(for: message, code: 401, reason: "Unauthorized")
    precondition((try? STUN.parse(error)) != nil && STUN.checkFingerprint(error), "a binding error we wrote does not verify")
}

func sdp(_ bytes: [UInt8], role: WebRTCRole) {
    let offer = String(decoding: bytes, as: UTF8.self)
    guard let parsed = try? SessionDescription.parse(offer) else { return }
    _ = parsed.bundleMids
    // As MediaSessions: WHEP first with the ladder's profile (x264 High 3.1), then without.
    let profiles: [String?] = role == .whep ? ["64001f", nil] : [nil]
    for profile in profiles {
        guard let answer = try? SDPNegotiator.answer(
            offer: offer, role: role, localUfrag: "srvr", localPwd: "server-password-0123456789",
            localFingerprintSHA256: "4A:95:03:3D:88:14:9F:D3:98:71:35:50:96:CA:EA:4C:6A:B2:3C:D7:8A:E5:38:07:E2:D3:A8:DD:A0:0F:35:BB",
            candidateIP: "127.0.0.1", candidatePort: 8189, h264ProfileLevelID: profile, ssrcs: (video: 1, audio: 2))
        else { continue }
        // RFC 3264: the answer has one media section per offered one, and it parses.
        guard let reparsed = try? SessionDescription.parse(answer.sdp) else { preconditionFailure("our answer does not parse") }
        precondition(reparsed.media.count == parsed.media.count, "the answer has \(reparsed.media.count) m= for \(parsed.media.count) offered")
        precondition(answer.session.video != nil || answer.session.audio != nil, "an answer with no track")
        return
    }
}

func rtp(_ bytes: [UInt8]) {
    var big = H264Depacketizer()
    var small = H264Depacketizer(maxAccessUnitBytes: 64, maxNALUnits: 4)
    var i = 0
    while i + 2 <= bytes.count {
        let length = min(Int(bytes[i]) << 8 | Int(bytes[i + 1]), bytes.count - i - 2)
        let packet = Array(bytes[i + 2..<i + 2 + length])
        i += 2 + length
        if let (header, payload) = try? RTPHeader.parse(packet) {
            precondition(payload.lowerBound >= 12 && payload.upperBound <= packet.count, "payload range \(payload) of \(packet.count)")
            _ = header.serialize()
        }
        for (limit, count) in [(4 << 20, 1024), (64, 4)] {
            let unit = limit == 64 ? small.push(rtp: packet) : big.push(rtp: packet)
            guard let unit else { continue }
            precondition(!unit.nalus.isEmpty && unit.nalus.count <= count, "\(unit.nalus.count) NAL units")
            precondition(unit.nalus.allSatisfy { !$0.isEmpty }, "an empty NAL unit")
            precondition(unit.nalus.reduce(0) { $0 + $1.count } <= limit, "an access unit over its limit")
        }
    }
}

func demux(_ bytes: [UInt8]) {
    switch classifyDatagram(bytes) {
    case .stun: stun(bytes)
    case .rtcp: _ = try? RTCP.parseCompound(bytes)
    case .rtp:
        var d = H264Depacketizer()
        _ = d.push(rtp: bytes)
    case .dtls, .unknown: return
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; hand over to libFuzzer's driver.
@_cdecl("fuzz_webrtc_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
