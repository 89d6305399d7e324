/// What a transport knows of its link at one moment: the controller's inputs.
public struct TransportSignals: Sendable, Equatable {
    public var rttMs: Double?
    /// Bytes handed to the transport and not yet acknowledged/sent (SRT send buffer, TCP SIOCOUTQ).
    public var queuedBytes = 0
    /// The same as time, when the transport knows it (SRT msSndBuf).
    public var queuedMs: Double?
    public var sentBytesTotal = 0
    /// Bytes the peer has acknowledged (what reached it), when known.
    public var deliveredBytesTotal: Int?
    public var deliveryRateKbps: Double?
    /// Bytes the far end confirmed receiving (RTMP Acknowledgements), when it does.
    public var ackedBytesTotal: Int?
    /// Send loss since the previous reading, 0...1.
    public var lossRate: Double?
    public var retransmitsTotal: Int?

    public init() {}
}

/// An uplink transport (our own SRT caller or RTMP client), owned by the sender thread.
public protocol UplinkTransport: AnyObject {
    /// Sends one unit. A transport that has to wait for the link calls `idle` every few tens of
    /// milliseconds meanwhile, so the sender keeps sampling and deciding.
    func send(_ unit: UplinkUnit, idle: () -> Void) throws
    func signals() -> TransportSignals
    /// Flushes and closes; errors are not interesting any more.
    func finish()
    /// Reads what the peer sent meanwhile (RTMP: acknowledgements, timed as they arrive).
    /// Called every few milliseconds by the sender.
    func service()
}

extension UplinkTransport {
    public func service() {}
}
