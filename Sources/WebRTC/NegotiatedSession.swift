/// Which way media flows for us: WHEP viewers receive from us, WHIP publishers send to us.
public enum WebRTCRole: Sendable, Equatable {
    case whep   // we send
    case whip   // we receive
}

public enum MediaKind: String, Sendable, Equatable {
    case video, audio
}

/// A DTLS certificate fingerprint from `a=fingerprint:`.
public struct DTLSFingerprint: Sendable, Equatable, CustomStringConvertible {
    public var algorithm: String   // "sha-256"
    public var bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// "sha-256 AB:CD:..." → fingerprint; nil unless every byte is two hex digits.
    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ")
        guard parts.count == 2, parts[1].count <= 64 * 3 else { return nil }
        var bytes: [UInt8] = []
        for h in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard h.count == 2, let b = UInt8(h, radix: 16) else { return nil }
            bytes.append(b)
        }
        self.init(algorithm: parts[0].lowercased(), bytes: bytes)
    }

    /// "AB:CD:..." (upper-case hex, colon separated).
    public var hex: String {
        bytes.map { b in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: ":")
    }

    public var description: String { "\(algorithm) \(hex)" }
}

/// One accepted m-section.
public struct NegotiatedTrack: Sendable, Equatable {
    public var kind: MediaKind
    public var mid: String
    public var payloadType: UInt8
    /// "H264" or "opus".
    public var codec: String
    public var clockRate: UInt32
    public var channels: Int
    /// Our SSRC: the one we send media with (WHEP), or the sender SSRC of our RTCP (WHIP).
    public var ssrc: UInt32
    /// The browser's SSRC when its offer announced one (WHIP publishers do).
    public var remoteSSRC: UInt32?
    public var nack: Bool
    public var pli: Bool
    public var fir: Bool
    public var transportCC: Bool
    /// The transport-wide sequence number header extension's id, when both sides use it.
    public var transportCCExtensionID: UInt8?
    /// The extension ids the offer mapped (uri → id), for a receiver that parses them.
    public var extensionIDs: [String: UInt8]
    /// H.264 only: what the answer says, e.g. "42e01f".
    public var profileLevelID: String?
    /// H.264 only: no offered profile contains the ladder's, so the highest offered one was
    /// answered (browsers decode it anyway; see `SDPNegotiator.pickH264`).
    public var profileFallback: Bool
    /// The answer's a=fmtp value for the payload type.
    public var fmtp: String
}

/// What an offer/answer agreed on, for the transport and the media session.
public struct NegotiatedSession: Sendable, Equatable {
    public var role: WebRTCRole
    public var remoteUfrag: String
    public var remotePwd: String
    public var remoteFingerprint: DTLSFingerprint
    /// The offer's a=setup (actpass or active); we are always the DTLS server (setup:passive).
    public var remoteSetup: String
    public var localUfrag: String
    public var localPwd: String
    public var localFingerprintSHA256: String
    public var video: NegotiatedTrack?
    public var audio: NegotiatedTrack?

    /// The track that uses a payload type, for a receiver demultiplexing by PT.
    public func track(payloadType: UInt8) -> NegotiatedTrack? {
        if video?.payloadType == payloadType { return video }
        if audio?.payloadType == payloadType { return audio }
        return nil
    }
}
