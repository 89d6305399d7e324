/// What a datagram on the shared UDP port is (RFC 7983's first-byte ranges; RFC 5761 tells RTCP
/// from RTP by the second byte, since RTCP packet types 192–223 are never RTP payload types
/// with the marker bit).
public enum DatagramKind: Sendable, Equatable {
    case stun, dtls, rtp, rtcp, unknown
}

public func classifyDatagram(_ bytes: some Collection<UInt8>) -> DatagramKind {
    guard let first = bytes.first else { return .unknown }
    switch first {
    case 0...3:
        return bytes.count >= 20 ? .stun : .unknown
    case 20...63:
        return .dtls
    case 128...191:
        guard bytes.count >= 4 else { return .unknown }
        let second = bytes[bytes.index(after: bytes.startIndex)]
        return (192...223).contains(second) ? .rtcp : .rtp
    default:
        return .unknown
    }
}
