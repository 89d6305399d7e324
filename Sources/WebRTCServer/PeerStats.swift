/// A peer's counters, read from any thread (a copy).
public struct PeerStats: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        /// Registered; no valid Binding request yet.
        case new
        /// ICE bound a source address; DTLS handshaking.
        case connecting
        case connected
        case closed
    }

    public var state: State = .new
    /// From RTCP receiver reports (LSR/DLSR), the latest; nil until one arrives.
    public var rtt: Duration?
    public var remoteAddress: String?
    /// The SRTP protection profile DTLS negotiated, once connected.
    public var srtpProfile: SRTPKeyMaterial.Profile?
    public var packetsSent = 0
    public var bytesSent = 0
    public var rtcpPacketsSent = 0
    /// Packets refused by `sendRTP`/`sendRTCP`: not connected yet, socket not writable, over the
    /// per-peer pending-bytes or send-rate cap, or SRTP refused.
    public var packetsDropped = 0
    public var packetsReceived = 0
    public var bytesReceived = 0
    public var rtcpPacketsReceived = 0
    /// SRTP/SRTCP packets that failed authentication or replay checks.
    public var srtpErrors = 0
    public var nacksReceived = 0
    public var plisReceived = 0
    public var firsReceived = 0
    public var bindingRequests = 0

    public init() {}
}
