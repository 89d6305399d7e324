/// What the WebRTC tier runs with (the `webrtc` section of the configuration).
public struct MediaSessionSettings: Sendable, Equatable {
    /// Address the UDP port binds.
    public var host: String
    /// The UDP port of every peer; 0 picks a free one.
    public var port: Int
    /// Written into SDP answers instead of the address a request arrived on (NAT, containers).
    public var advertisedIP: String?
    /// WHEP viewers plus WHIP publishers at once.
    public var maxSessions: Int
    /// A viewer's PLI/FIR (or its join) asks the rung for a keyframe at most this often per path.
    public var keyframeRequestInterval: Duration = .seconds(1)
    /// The transport's per-peer bounds (send queue, rate cap, timeouts); `maxSessions` overrides its own.
    public var transportLimits = WebRTCLimits()
    /// The playout-delay bound (min 0, max this, ms) sent to WHEP viewers that offer the
    /// extension; nil sends none.
    public var playoutDelayMaxMs: Int? = 0

    public init(host: String = "0.0.0.0", port: Int = 8189, advertisedIP: String? = nil, maxSessions: Int = 200) {
        self.host = host
        self.port = port
        self.advertisedIP = advertisedIP
        self.maxSessions = maxSessions
    }
}
