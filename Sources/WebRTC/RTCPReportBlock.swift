/// A reception report block (RFC 3550 section 6.4.1).
public struct RTCPReportBlock: Sendable, Equatable {
    public var ssrc: UInt32
    public var fractionLost: UInt8
    /// 24-bit signed cumulative loss.
    public var cumulativeLost: Int32
    public var highestSequence: UInt32
    public var jitter: UInt32
    /// Middle 32 bits of the NTP time of the last SR received, and the delay since (1/65536 s).
    public var lastSR: UInt32
    public var delaySinceLastSR: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, highestSequence: UInt32, jitter: UInt32,
                lastSR: UInt32, delaySinceLastSR: UInt32) {
        self.ssrc = ssrc; self.fractionLost = fractionLost; self.cumulativeLost = cumulativeLost
        self.highestSequence = highestSequence; self.jitter = jitter; self.lastSR = lastSR; self.delaySinceLastSR = delaySinceLastSR
    }
}
