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
