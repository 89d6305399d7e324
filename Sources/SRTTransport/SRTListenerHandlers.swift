/// What an `SRTListener` calls. `decide` runs on libsrt's handshake thread; the others run on
/// the listener's epoll thread and must not block (copy the bytes and hand them off).
public struct SRTListenerHandlers: Sendable {
    public var decide: @Sendable (_ streamID: SRTStreamID, _ peer: String) -> SRTAcceptDecision
    public var opened: @Sendable (SRTConnection) -> Void
    public var received: @Sendable (SRTConnection, UnsafeRawBufferPointer) -> Void
    public var closed: @Sendable (SRTConnection) -> Void
    /// A caller was refused before a connection existed (bad streamid, access control).
    public var refused: @Sendable (_ rawStreamID: String, _ peer: String, _ reason: String) -> Void

    public init(decide: @escaping @Sendable (SRTStreamID, String) -> SRTAcceptDecision,
                opened: @escaping @Sendable (SRTConnection) -> Void,
                received: @escaping @Sendable (SRTConnection, UnsafeRawBufferPointer) -> Void,
                closed: @escaping @Sendable (SRTConnection) -> Void,
                refused: @escaping @Sendable (String, String, String) -> Void = { _, _, _ in }) {
        self.decide = decide
        self.opened = opened
        self.received = received
        self.closed = closed
        self.refused = refused
    }
}
