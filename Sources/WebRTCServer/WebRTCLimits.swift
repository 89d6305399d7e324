/// Bounds of the WebRTC transport: how many peers, how long each may take, how much each may queue.
public struct WebRTCLimits: Sendable, Equatable {
    /// Registered sessions (connected or still negotiating) at once; `register` refuses beyond.
    public var maxSessions: Int
    /// From registration until DTLS is done (ICE + DTLS); then the session is closed.
    public var handshakeTimeout: Duration
    /// RFC 7675: without a valid Binding request for this long the peer is gone.
    public var consentTimeout: Duration
    /// Largest datagram read; longer ones are truncated and so refused by every parser.
    public var maxDatagramSize: Int
    /// Bytes one peer may have waiting to be protected and written; beyond, packets are dropped.
    public var maxPendingBytesPerPeer: Int
    /// Sustained send rate per peer (token bucket of one second); 0 = no cap.
    public var maxSendBytesPerSecond: Int
    /// Distinct inbound SSRCs a peer may use (each is a libsrtp stream); beyond, the peer is closed.
    public var maxInboundSSRCs: Int
    /// How often timers (DTLS retransmission, handshake and consent deadlines) are checked.
    public var tickInterval: Duration
    /// At most one "unknown source" / "bad integrity" log line per kind in this interval.
    public var logInterval: Duration

    public init(maxSessions: Int = 500, handshakeTimeout: Duration = .seconds(10), consentTimeout: Duration = .seconds(30),
                maxDatagramSize: Int = 1500, maxPendingBytesPerPeer: Int = 512 * 1024, maxSendBytesPerSecond: Int = 8_000_000,
                maxInboundSSRCs: Int = 16, tickInterval: Duration = .milliseconds(100), logInterval: Duration = .seconds(10)) {
        self.maxSessions = maxSessions
        self.handshakeTimeout = handshakeTimeout
        self.consentTimeout = consentTimeout
        self.maxDatagramSize = maxDatagramSize
        self.maxPendingBytesPerPeer = maxPendingBytesPerPeer
        self.maxSendBytesPerSecond = maxSendBytesPerSecond
        self.maxInboundSSRCs = maxInboundSSRCs
        self.tickInterval = tickInterval
        self.logInterval = logInterval
    }

    public static let `default` = WebRTCLimits()
}
