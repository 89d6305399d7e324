/// Why a stream name was refused; the text goes back to the publisher and into the log.
public enum StreamPathError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(bytes: Int, limit: Int)
    case segmentTooLong(bytes: Int, limit: Int)
    case tooManySegments(Int, limit: Int)
    case emptySegment
    case dotSegment
    case badCharacter(UInt8)

    public var description: String {
        switch self {
        case .empty: "the stream name is empty"
        case .tooLong(let n, let limit): "the stream path is \(n) bytes long (at most \(limit))"
        case .segmentTooLong(let n, let limit): "a path segment is \(n) bytes long (at most \(limit))"
        case .tooManySegments(let n, let limit): "the stream path has \(n) segments (at most \(limit))"
        case .emptySegment: "the stream path has an empty segment (// or a leading or trailing /)"
        case .dotSegment: "the stream path has a . or .. segment"
        case .badCharacter(let b):
            "the stream name contains byte 0x\(String(b, radix: 16)); use letters, digits and . _ ~ - between slashes"
        }
    }
}
