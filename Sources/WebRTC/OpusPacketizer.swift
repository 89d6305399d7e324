/// Opus over RTP (RFC 7587): one frame per packet, 48 kHz timestamps, no marker.
public struct OpusPacketizer: Sendable {
    public var payloadType: UInt8
    public var ssrc: UInt32
    /// The next packet's sequence number.
    public private(set) var sequenceNumber: UInt16

    public init(payloadType: UInt8, ssrc: UInt32, sequenceNumber: UInt16 = .random(in: 0...UInt16.max)) {
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.sequenceNumber = sequenceNumber
    }

    public mutating func packetize(frame: [UInt8], timestamp: UInt32) -> [UInt8] {
        var packet = RTPHeader(payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc).serialize()
        packet.append(contentsOf: frame)
        sequenceNumber &+= 1
        return packet
    }
}
