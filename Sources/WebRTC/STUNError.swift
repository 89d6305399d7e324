/// Why a datagram is not a STUN message we accept.
public enum STUNError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case notSTUN(String)
    case badLength(declared: Int, actual: Int)
    case badAttribute(type: UInt16, String)
    case tooManyAttributes(Int)

    public var description: String {
        switch self {
        case .tooShort(let n): "STUN: \(n) bytes is shorter than the 20-byte header"
        case .notSTUN(let why): "STUN: not a STUN message (\(why))"
        case .badLength(let declared, let actual): "STUN: header says \(declared) bytes of attributes, datagram has \(actual)"
        case .badAttribute(let type, let why): "STUN: attribute 0x\(String(type, radix: 16)): \(why)"
        case .tooManyAttributes(let n): "STUN: more than \(n) attributes"
        }
    }
}
