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
    /// Video, WHEP: the viewer sends REMB (its receive-side bandwidth estimate); both sides said goog-remb.
    public var remb: Bool = false
    /// Video, WHEP with REMB: the abs-send-time extension's id, when the offer mapped it (we stamp it).
    public var absSendTimeExtensionID: UInt8?
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
    /// Video only: the playout-delay extension's id (`PlayoutDelay`), when the offer mapped it
    /// with a one-byte id; a WHEP answer maps it back and the sender stamps it.
    public var playoutDelayExtensionID: UInt8? = nil
}
