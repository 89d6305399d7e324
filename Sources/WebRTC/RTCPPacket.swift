/// Why bytes are not an RTCP compound packet.
public enum RTCPError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case badVersion(UInt8)
    case badLength(String)
    case tooManyPackets(Int)

    public var description: String {
        switch self {
        case .tooShort(let n): "RTCP: \(n) bytes is shorter than a header"
        case .badVersion(let v): "RTCP: version \(v), not 2"
        case .badLength(let why): "RTCP: \(why)"
        case .tooManyPackets(let n): "RTCP: more than \(n) packets in one compound"
        }
    }
}

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

public struct RTCPSenderReport: Sendable, Equatable {
    public var ssrc: UInt32
    public var ntpTimestamp: UInt64
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reports: [RTCPReportBlock]

    public init(ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32, reports: [RTCPReportBlock] = []) {
        self.ssrc = ssrc; self.ntpTimestamp = ntpTimestamp; self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount; self.octetCount = octetCount; self.reports = reports
    }
}

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

/// One packet of an RTCP compound.
public enum RTCPPacket: Sendable, Equatable {
    case senderReport(RTCPSenderReport)
    case receiverReport([RTCPReportBlock])
    /// Generic NACK (RFC 4585 section 6.2.1): the lost sequence numbers.
    case nack(mediaSSRC: UInt32, sequenceNumbers: [UInt16])
    /// Picture Loss Indication (RFC 4585 section 6.3.1).
    case pli(mediaSSRC: UInt32)
    /// Full Intra Request (RFC 5104 section 4.3.1); mediaSSRC is the FCI's SSRC.
    case fir(mediaSSRC: UInt32)
    /// Receiver Estimated Max Bitrate (draft-alvestrand-rmcat-remb), bits per second.
    case remb(bitrate: UInt64)
    case transportFeedback(RTCPTransportFeedback)
    case bye(ssrcs: [UInt32])
    /// SDES, APP, XR and what else: type and FMT/count field.
    case other(packetType: UInt8)
}
