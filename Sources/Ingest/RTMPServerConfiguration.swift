import NIOCore

/// Where and how the RTMP server listens.
public struct RTMPServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; `RTMPServer.port` tells which.
    public var port: Int
    /// Larger messages close the connection (the wire allows 16 MiB - 1).
    public var maxMessageSize: Int
    /// Events a slow player may lag before it loses media up to the next keyframe.
    public var playerQueueCapacity: Int
    /// How long a player whose stream ended waits for a publisher to come back to the same path
    /// (a dropped encoder reconnecting) before it is told the stream ended.
    public var playerRepublishGrace: Duration
    /// A connection that has not finished the handshake by then is closed.
    public var handshakeTimeout: TimeAmount

    public init(host: String = "0.0.0.0", port: Int = 1935, maxMessageSize: Int = 16 << 20, playerQueueCapacity: Int = 512,
                playerRepublishGrace: Duration = .seconds(5), handshakeTimeout: TimeAmount = .seconds(10)) {
        self.host = host
        self.port = port
        self.maxMessageSize = maxMessageSize
        self.playerQueueCapacity = playerQueueCapacity
        self.playerRepublishGrace = playerRepublishGrace
        self.handshakeTimeout = handshakeTimeout
    }
}
