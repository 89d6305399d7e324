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
