/// What an SRT sender sees of its link (srt_bistats): the inputs of a publisher's bitrate controller.
public struct SRTSenderStats: Sendable, Equatable {
    public var rttMs: Double
    public var bandwidthMbps: Double
    public var sendRateMbps: Double
    public var packetsSent: Int64
    public var packetsLost: Int64
    public var packetsRetransmitted: Int64
    public var packetsDropped: Int64
    public var bytesSent: Int64
    /// Unacknowledged data in the send buffer: how far the link is behind.
    public var sendBufferMs: Int
    public var sendBufferPackets: Int
    public var sendBufferBytes: Int
    /// Packets sent and not yet acknowledged (pktFlightSize): the part of the buffer already on the wire.
    public var flightPackets: Int = 0
}
