/// Answers a browser's WHEP (recvonly) or WHIP (sendonly) offer as an ICE-lite, DTLS-passive,
/// BUNDLE + rtcp-mux endpoint with H.264 (packetization-mode 1) and Opus.
public enum SDPNegotiator {
    public static let transportCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

    public static func answer(offer: String, role: WebRTCRole, localUfrag: String, localPwd: String,
                              localFingerprintSHA256: String, candidateIP: String, candidatePort: UInt16,
                              h264ProfileLevelID: String?, ssrcs: (video: UInt32, audio: UInt32)) throws(SDPError)
        -> (sdp: String, session: NegotiatedSession)
    {
        // RFC 8839 section 5.4: ice-char is ALPHA / DIGIT / "+" / "/"; Chromium 156 also takes
        // "-", "_" and "=", and refuses anything else (e.g. "!" or "."), as measured.
        // Lengths are the caller's business (RFC 8839 wants 4+ and 22+; tests use shorter ones).
        guard isICEString(localUfrag, 1...256), isICEString(localPwd, 1...256) else {
            throw SDPError(.unsupported, "local ICE credentials must be characters of A-Z a-z 0-9 + / - _ =")
        }
        let sdp = try SessionDescription.parse(offer)
        guard !sdp.media.isEmpty else { throw SDPError(.malformed, "the offer has no media sections") }
        guard let bundle = sdp.bundleMids, !bundle.isEmpty else {
            throw SDPError(.noBundle, "the offer has no a=group:BUNDLE; Sluice serves every track on one port")
        }
        let ladderProfile = h264ProfileLevelID.flatMap(H264ProfileLevelID.init)
        if let text = h264ProfileLevelID, ladderProfile == nil {
            throw SDPError(.unsupported, "the stream's H.264 profile-level-id \(text) is not one WebRTC negotiates")
        }

        var remoteUfrag: String?, remotePwd: String?, remoteFingerprint: DTLSFingerprint?, remoteSetup: String?
        var video: NegotiatedTrack?, audio: NegotiatedTrack?
        var sections: [String] = []
        var acceptedMids: [String] = []

        for (index, m) in sdp.media.enumerated() {
            let mid = m.mid ?? String(index)
            let wanted = (m.kind == "video" && video == nil) || (m.kind == "audio" && audio == nil)
            let usable = wanted && m.port != 0 && bundle.contains(mid) && m.direction != "inactive"
                && m.proto.uppercased().contains("RTP/SAVPF")
            guard usable else {
                sections.append(rejected(m, mid: mid))
                continue
            }
            // Transport parameters: the first bundled section's (session level as fallback) count.
            if remoteUfrag == nil {
                guard let ufrag = sdp.value("ice-ufrag", in: m), let pwd = sdp.value("ice-pwd", in: m),
                      isICEString(ufrag, 4...256), isICEString(pwd, 22...256) else {
                    throw SDPError(.missingICECredentials, "the offer has no usable a=ice-ufrag/a=ice-pwd (ufrag 4+ and pwd 22+ characters)")
                }
                let fingerprints = m.values("fingerprint") + sdp.sessionValues("fingerprint")
                guard let fp = fingerprints.compactMap(DTLSFingerprint.init(sdpValue:)).first(where: { $0.algorithm == "sha-256" && $0.bytes.count == 32 }) else {
                    throw SDPError(.missingFingerprint, "the offer has no a=fingerprint:sha-256")
                }
                guard let setup = sdp.value("setup", in: m), setup == "actpass" || setup == "active" else {
                    throw SDPError(.badSetup, "the offer's a=setup must be actpass or active (Sluice is the DTLS server)")
                }
                remoteUfrag = ufrag; remotePwd = pwd; remoteFingerprint = fp; remoteSetup = setup
            }
            guard m.has("rtcp-mux") else {
                throw SDPError(.noRTCPMux, "media section \(mid) has no a=rtcp-mux")
            }
            let direction: String
            switch (role, m.direction) {
            case (.whep, "recvonly"), (.whep, "sendrecv"): direction = "sendonly"
            case (.whip, "sendonly"), (.whip, "sendrecv"): direction = "recvonly"
            default:
                throw SDPError(.unsupported, "media section \(mid) is \(m.direction); \(role == .whep ? "WHEP offers receive (recvonly)" : "WHIP offers send (sendonly)")")
            }
            let ssrc = m.kind == "video" ? ssrcs.video : ssrcs.audio
            var track = try negotiate(m, mid: mid, ssrc: ssrc, ladderProfile: ladderProfile)
            if role != .whep { // a WHIP publisher's estimate is its own business
                track.remb = false
                track.absSendTimeExtensionID = nil
                track.playoutDelayExtensionID = nil // a receiver does not bound its own playout
            }
            if track.kind == .video { video = track } else { audio = track }
            acceptedMids.append(mid)
            sections.append(accepted(m, track: track, direction: direction, role: role, localUfrag: localUfrag, localPwd: localPwd,
                                     fingerprint: localFingerprintSHA256, ip: candidateIP, port: candidatePort))
        }
        guard let ufrag = remoteUfrag, let pwd = remotePwd, let fp = remoteFingerprint, let setup = remoteSetup,
              video != nil || audio != nil else {
            throw SDPError(.noCommonCodec, "the offer has no bundled audio or video section Sluice can use")
        }

        var lines = [
            "v=0",
            "o=- \(UInt64.random(in: 1...(UInt64(1) << 62))) 2 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE " + acceptedMids.joined(separator: " "),
            "a=msid-semantic: WMS sluice",
            "a=ice-lite",
        ]
        lines += sections
        let session = NegotiatedSession(role: role, remoteUfrag: ufrag, remotePwd: pwd, remoteFingerprint: fp, remoteSetup: setup,
                                        localUfrag: localUfrag, localPwd: localPwd, localFingerprintSHA256: localFingerprintSHA256,
                                        video: video, audio: audio)
        return (lines.joined(separator: "\r\n") + "\r\n", session)
    }

    static func isICEString(_ s: String, _ lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(s.utf8.count) && s.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || "+/-_=".utf8.contains(c)
        }
    }

    // MARK: codecs

    private static func negotiate(_ m: MediaDescription, mid: String, ssrc: UInt32,
                                  ladderProfile: H264ProfileLevelID?) throws(SDPError) -> NegotiatedTrack {
        let maps = m.rtpmaps, fmtps = m.fmtps, feedback = m.rtcpFeedback
        let offered = m.formats.compactMap { Int($0) }.compactMap { maps[$0] }
        var extensionIDs: [String: UInt8] = [:]
        for e in m.extensionMaps where (1...255).contains(e.id) { extensionIDs[e.uri] = UInt8(e.id) }
        let offeredNames = Array(Set(offered.map(\.encoding))).sorted().joined(separator: ", ")

        let chosen: RTPMap
        var profileLevelID: String?
        var fmtp: String
        var profileFallback = false
        let kind: MediaKind
        if m.kind == "video" {
            kind = .video
            let h264 = offered.filter { $0.encoding.uppercased() == "H264" && $0.clockRate == 90000
                && fmtps[$0.payloadType]?["packetization-mode"] == "1" }
            let candidates: [(RTPMap, H264ProfileLevelID)] = h264.compactMap { map in
                guard let text = fmtps[map.payloadType]?["profile-level-id"] ?? Optional("42000a"),
                      let p = H264ProfileLevelID(text) else { return nil }
                return (map, p)
            }
            guard let pick = pickH264(candidates, ladder: ladderProfile) else {
                let want = ladderProfile.map { " of profile \($0.text)" } ?? ""
                throw SDPError(.noCommonCodec, "no common video codec: Sluice sends H.264\(want) with packetization-mode=1; the offer has \(offeredNames.isEmpty ? "none" : offeredNames)")
            }
            chosen = pick.map
            profileFallback = pick.fallback
            var answered = pick.profile
            if let ladder = ladderProfile { answered.levelIDC = ladder.levelIDC }
            profileLevelID = answered.text
            fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=\(answered.text)"
        } else {
            kind = .audio
            guard let opus = offered.first(where: { $0.encoding.lowercased() == "opus" && $0.clockRate == 48000 && $0.channels == 2 }) else {
                throw SDPError(.noCommonCodec, "no common audio codec: Sluice speaks opus/48000/2; the offer has \(offeredNames.isEmpty ? "none" : offeredNames)")
            }
            chosen = opus
            fmtp = "minptime=10;useinbandfec=1"
        }
        let fb = (feedback[chosen.payloadType] ?? []) + (feedback[-1] ?? [])
        let transportCCID = extensionIDs[transportCCURI]
        // Playout delay is video's, and only in the one-byte form (ids 1–14): the answer does
        // not agree to extmap-allow-mixed.
        let playoutDelayID = extensionIDs[PlayoutDelay.uri].flatMap { kind == .video && (1...14).contains($0) ? $0 : nil }
        var track = NegotiatedTrack(
            kind: kind, mid: mid, payloadType: UInt8(chosen.payloadType), codec: chosen.encoding, clockRate: chosen.clockRate,
            channels: chosen.channels, ssrc: ssrc, remoteSSRC: m.primarySSRCs.first,
            nack: kind == .video, pli: kind == .video, fir: kind == .video,
            transportCC: fb.contains("transport-cc") && transportCCID != nil, transportCCExtensionID: transportCCID,
            extensionIDs: extensionIDs, profileLevelID: profileLevelID, profileFallback: profileFallback, fmtp: fmtp,
            playoutDelayExtensionID: playoutDelayID)
        // The viewer's bandwidth estimate picks its rung (WHEPRungPolicy).
        track.remb = kind == .video && fb.contains("goog-remb")
        track.absSendTimeExtensionID = track.remb ? extensionIDs[AbsSendTime.uri] : nil
        return track
    }

    /// The offered H.264 format that can carry the ladder's stream: the same profile first, then
    /// a superset (constrained baseline plays everywhere, main on high, high on high 4:4:4).
    /// Without a ladder profile, constrained baseline is preferred, as browsers decode it in
    /// hardware too. When no offered profile contains the ladder's (Chromium builds without
    /// plain High offer only 42e01f/4d001f/f4001f), the highest offered one is taken and
    /// `fallback` is true: browsers decode a higher profile in software whatever was agreed,
    /// which MediaMTX and OvenMediaEngine rely on too.
    static func pickH264(_ candidates: [(RTPMap, H264ProfileLevelID)], ladder: H264ProfileLevelID?)
        -> (map: RTPMap, profile: H264ProfileLevelID, fallback: Bool)?
    {
        let order: [H264ProfileLevelID.Profile]
        switch ladder?.profile {
        case nil, .constrainedBaseline?: order = [.constrainedBaseline, .baseline, .main, .constrainedHigh, .high, .predictiveHigh444]
        case .baseline?: order = [.baseline]
        case .main?: order = [.main, .high, .predictiveHigh444]
        case .constrainedHigh?: order = [.constrainedHigh, .high, .predictiveHigh444]
        case .high?: order = [.high, .predictiveHigh444]
        case .predictiveHigh444?: order = [.predictiveHigh444]
        }
        for profile in order {
            if let c = candidates.first(where: { $0.1.profile == profile }) { return (c.0, c.1, false) }
        }
        let byCapability: [H264ProfileLevelID.Profile] = [.high, .constrainedHigh, .main, .baseline, .constrainedBaseline]
        for profile in byCapability {
            if let c = candidates.first(where: { $0.1.profile == profile }) { return (c.0, c.1, true) }
        }
        return nil
    }

    // MARK: writing

    private static func rejected(_ m: MediaDescription, mid: String) -> String {
        var lines = ["m=\(m.kind) 0 \(m.proto) \(m.formats.first ?? "0")", "c=IN IP4 0.0.0.0"]
        if m.mid != nil { lines.append("a=mid:\(mid)") }
        lines.append("a=inactive")
        return lines.joined(separator: "\r\n")
    }

    private static func accepted(_ m: MediaDescription, track: NegotiatedTrack, direction: String, role: WebRTCRole,
                                 localUfrag: String, localPwd: String, fingerprint: String, ip: String, port: UInt16) -> String {
        let pt = track.payloadType
        let family = ip.contains(":") ? "IP6" : "IP4"
        var lines = [
            "m=\(m.kind) \(port) \(m.proto) \(pt)",
            "c=IN \(family) \(ip)",
            "a=rtcp:\(port) IN \(family) \(ip)",
            "a=ice-ufrag:\(localUfrag)",
            "a=ice-pwd:\(localPwd)",
            "a=fingerprint:sha-256 \(fingerprint)",
            "a=setup:passive",
            "a=mid:\(track.mid)",
        ]
        if let id = track.transportCCExtensionID, track.transportCC { lines.append("a=extmap:\(id) \(transportCCURI)") }
        if let id = track.absSendTimeExtensionID { lines.append("a=extmap:\(id) \(AbsSendTime.uri)") }
        if let id = track.playoutDelayExtensionID { lines.append("a=extmap:\(id) \(PlayoutDelay.uri)") }
        lines.append("a=\(direction)")
        if role == .whep { lines.append("a=msid:sluice sluice-\(track.kind.rawValue)") }
        lines.append("a=rtcp-mux")
        if track.kind == .video { lines.append("a=rtcp-rsize") }
        let name = track.kind == .video ? "H264" : "opus"
        lines.append("a=rtpmap:\(pt) \(name)/\(track.clockRate)\(track.kind == .audio ? "/\(track.channels)" : "")")
        if track.transportCC { lines.append("a=rtcp-fb:\(pt) transport-cc") }
        if track.kind == .video {
            lines += ["a=rtcp-fb:\(pt) nack", "a=rtcp-fb:\(pt) nack pli", "a=rtcp-fb:\(pt) ccm fir"]
        }
        if track.remb { lines.append("a=rtcp-fb:\(pt) goog-remb") }
        lines.append("a=fmtp:\(pt) \(track.fmtp)")
        if role == .whep {
            lines += ["a=ssrc:\(track.ssrc) cname:sluice", "a=ssrc:\(track.ssrc) msid:sluice sluice-\(track.kind.rawValue)"]
        }
        lines += ["a=candidate:1 1 udp 2130706431 \(ip) \(port) typ host", "a=end-of-candidates"]
        return lines.joined(separator: "\r\n")
    }
}
