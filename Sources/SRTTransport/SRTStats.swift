/// A connection's transport statistics (srt_bistats), the bitrate controller's inputs.
public struct SRTStats: Sendable, Equatable {
    public var rttMs: Double
    public var receiveRateMbps: Double
    public var bandwidthMbps: Double
    public var packetsReceived: Int64
    public var packetsLost: Int64
    public var packetsDropped: Int64
    public var packetsRetransmitted: Int64
    public var receiveBufferMs: Int
}
