/// Why bytes are not an RTP packet.
public enum RTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case badVersion(UInt8)
    case badLength(String)

    public var description: String {
        switch self {
        case .tooShort(let n): "RTP: \(n) bytes is shorter than the header"
        case .badVersion(let v): "RTP: version \(v), not 2"
        case .badLength(let why): "RTP: \(why)"
        }
    }
}
