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
