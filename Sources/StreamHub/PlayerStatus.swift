/// What one relay player of a stream is doing, for the status API: the rendition it gets and
/// how often its send-delay controller moved or skipped it.
public struct PlayerStatus: Sendable, Equatable {
    /// "rtmp", "srt" or "webrtc" (a WHEP viewer).
    public var transport: String
    /// The rendition being sent: "source" or a rung name.
    public var rendition: String
    public var movesDown = 0
    public var movesUp = 0
    public var keyframeSkips = 0
    /// Media queued for the player at the last tick.
    public var queuedMillis: Int64 = 0
    /// WebRTC: the peer's state (new, connecting, connected, closed).
    public var state: String?
    /// WebRTC: the viewer's bandwidth estimate (REMB), loss and round trip from its reports.
    public var estimateKbps: Int?
    public var lossPercent: Double?
    public var rttMs: Int?
    /// WebRTC: what the viewer was sent lately, on the wire.
    public var sentKbps: Int?

    public init(transport: String, rendition: String) {
        self.transport = transport
        self.rendition = rendition
    }
}
