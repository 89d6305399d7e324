/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01).
public struct RTCPTransportFeedback: Sendable, Equatable {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var baseSequence: UInt16
    public var packetStatusCount: UInt16
    /// Multiples of 64 ms.
    public var referenceTime: Int32
    public var feedbackPacketCount: UInt8
    /// Each reported packet: its transport sequence number and its receive delta in 250 µs units
    /// (nil when not received). Empty when the chunks could not be read.
    public var packets: [(sequence: UInt16, delta: Int32?)]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequence: UInt16, packetStatusCount: UInt16, referenceTime: Int32,
                feedbackPacketCount: UInt8, packets: [(sequence: UInt16, delta: Int32?)]) {
        self.senderSSRC = senderSSRC; self.mediaSSRC = mediaSSRC; self.baseSequence = baseSequence
        self.packetStatusCount = packetStatusCount; self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount; self.packets = packets
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.senderSSRC == b.senderSSRC && a.mediaSSRC == b.mediaSSRC && a.baseSequence == b.baseSequence
            && a.packetStatusCount == b.packetStatusCount && a.referenceTime == b.referenceTime
            && a.feedbackPacketCount == b.feedbackPacketCount && a.packets.count == b.packets.count
            && zip(a.packets, b.packets).allSatisfy { $0.sequence == $1.sequence && $0.delta == $1.delta }
    }
}
