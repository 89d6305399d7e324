/// A stream path every protocol agrees on: `live/show`. Segments of `[A-Za-z0-9._~-]` (the
/// URL-unreserved set, so a path is its own URL and its own log text), none empty, `.` or
/// `..`, each and the whole bounded. Publishers' names pass through here before anything
/// else sees them.
public struct StreamPath: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public static let maxSegmentLength = 64
    public static let maxLength = 200
    public static let maxSegments = 8

    public init(validating raw: String) throws(StreamPathError) {
        guard !raw.isEmpty else { throw .empty }
        guard raw.utf8.count <= Self.maxLength else { throw .tooLong(bytes: raw.utf8.count, limit: Self.maxLength) }
        var segments = 0
        var segmentLength = 0
        var segmentStart = raw.utf8.startIndex
        for (i, byte) in zip(raw.utf8.indices, raw.utf8) {
            if byte == UInt8(ascii: "/") {
                try Self.check(segment: raw.utf8[segmentStart..<i], length: segmentLength)
                segments += 1
                segmentLength = 0
                segmentStart = raw.utf8.index(after: i)
                continue
            }
            guard Self.allowed(byte) else { throw .badCharacter(byte) }
            segmentLength += 1
        }
        try Self.check(segment: raw.utf8[segmentStart...], length: segmentLength)
        segments += 1
        guard segments <= Self.maxSegments else { throw .tooManySegments(segments, limit: Self.maxSegments) }
        value = raw
    }

    public var description: String { value }

    /// True when one path is a whole-segment prefix of the other (`live/a` and `live/a/source`):
    /// their HLS URLs would overlap. Equal paths do not collide (that is a takeover).
    public func collides(with other: String) -> Bool {
        value != other && (other.hasPrefix(value + "/") || value.hasPrefix(other + "/"))
    }

    /// A name from the network made safe for one log line: printable ASCII kept, everything
    /// else as `\xNN`, cut at `limit` bytes.
    public static func escaped(_ raw: String, limit: Int = 120) -> String {
        var out = ""
        var taken = 0
        for byte in raw.utf8 {
            if taken == limit {
                out += "…(\(raw.utf8.count) bytes)"
                break
            }
            taken += 1
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\"), byte != UInt8(ascii: "\"") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return out
    }

    private static func allowed(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    private static func check(segment: Substring.UTF8View, length: Int) throws(StreamPathError) {
        guard length > 0 else { throw .emptySegment }
        guard length <= maxSegmentLength else { throw .segmentTooLong(bytes: length, limit: maxSegmentLength) }
        if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) { throw .dotSegment }
    }
}
