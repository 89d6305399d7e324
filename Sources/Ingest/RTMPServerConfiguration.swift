import NIOCore
import StreamHub

/// Where and how the RTMP server listens, and the bounds one connection lives within.
public struct RTMPServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; `RTMPServer.port` tells which.
    public var port: Int
    /// Larger messages close the connection (the wire allows 16 MiB - 1). Applies once a
    /// publish was accepted; before that `preAuthMaxMessageSize` does.
    public var maxMessageSize: Int
    /// Events a slow player may lag before it loses media up to the next keyframe.
    public var playerQueueCapacity: Int
    /// How long a player whose stream ended waits for a publisher to come back to the same path
    /// (a dropped encoder reconnecting) before it is told the stream ended.
    public var playerRepublishGrace: Duration
    /// A connection that has not finished the handshake by then is closed.
    public var handshakeTimeout: TimeAmount
    /// Message size and unfinished-message bytes a connection may use before it publishes:
    /// connect, createStream and publish are small, so anonymous peers hold little memory.
    public var preAuthMaxMessageSize = 64 << 10
    public var preAuthMaxBufferedBytes = 128 << 10
    /// A connection neither publishing nor playing for this long is closed (counted from the
    /// connection, or from the end of its last publish or play).
    public var sessionStartTimeout: TimeAmount = .seconds(10)
    /// A publisher that sends nothing for this long is closed.
    public var publisherIdleTimeout: TimeAmount = .seconds(30)
    /// A player whose socket stays unwritable (it does not read) for this long is closed.
    public var playerStallTimeout: TimeAmount = .seconds(30)
    /// Connections beyond this are closed as they are accepted.
    public var maxConnections = 1000
    /// Bytes of media a slow player may lag before it loses media up to the next keyframe.
    public var playerQueueBytes = 32 << 20
    /// onMetaData larger than this is dropped; more often than once per `metadataInterval`
    /// is dropped too (encoders send it once per publish).
    public var maxMetadataBytes = 16 << 10
    public var metadataInterval: TimeAmount = .seconds(1)
    /// A player whose send queue grows is moved to a lower rendition of its stream, or skipped
    /// to the next keyframe (`SendDelayController`); nil sends everything, as a plain relay.
    public var playerSendDelay: SendDelayController.Configuration? = SendDelayController.Configuration()
    /// TCP_NOTSENT_LOWAT of a player's socket under send-delay control: the kernel takes more
    /// only while less than this is unsent, so the queue builds where the controller sees it
    /// (the autotuned send buffer would hide megabytes). In-flight bytes are not limited.
    public var playerNotSentLowWater: Int? = 16 << 10
    /// SO_SNDBUF of a player's socket under send-delay control (Linux doubles it); nil keeps
    /// the kernel's autotuning.
    public var playerSendBuffer: Int? = nil
    /// How often each player's send queue is sampled.
    public var playerSendDelayTick: TimeAmount = .milliseconds(200)

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
