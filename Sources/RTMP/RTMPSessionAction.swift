/// What the session asks its driver (a channel handler, or a test) to do.
public enum RTMPSessionAction: Sendable, Equatable {
    case send(RTMPMessage)
    /// A client wants to publish; answer with `publishAccepted` or `publishRejected`.
    case publish(streamID: UInt32, path: String, query: String)
    /// A client wants to play; answer with `playAccepted` or `playRejected`.
    case play(streamID: UInt32, path: String, query: String)
    /// Audio, video or data (already split out of aggregates) on a publishing stream.
    case media(RTMPMessage)
    case stopPublishing(streamID: UInt32)
    case stopPlaying(streamID: UInt32)
    case close(reason: String)
}
