/// The SRT Access Control streamid (`#!::r=live/demo,m=publish,u=alice,s=...,t=stream`).
///
/// A streamid without the `#!::` prefix is taken whole as the resource of a publisher: that
/// is what simple push clients send (`streamid=live/demo`). With the prefix and no `m=`, the
/// mode is `request`, as the SRT access-control spec says.
public struct SRTStreamID: Sendable, Equatable {
    public enum Mode: String, Sendable {
        case request, publish, bidirectional
    }

    public var resource: String
    public var mode: Mode
    public var user: String?
    public var session: String?
    public var type: String?
    /// Keys this parser does not know, kept for access-control hooks.
    public var extra: [String: String]

    public static let maxLength = 512

    public init(resource: String, mode: Mode = .request, user: String? = nil, session: String? = nil,
                type: String? = nil, extra: [String: String] = [:]) {
        self.resource = resource
        self.mode = mode
        self.user = user
        self.session = session
        self.type = type
        self.extra = extra
    }

    public enum ParseError: Error, Equatable, Sendable {
        case tooLong
        case badMode(String)
        case malformed(String)
    }

    public static func parse(_ rawInput: String) throws(ParseError) -> SRTStreamID {
        guard rawInput.utf8.count <= maxLength else { throw .tooLong }
        // Some callers (ffmpeg 5.1) send the streamid still percent-encoded from their URL.
        let raw = rawInput.contains("%") ? percentDecoded(rawInput) ?? rawInput : rawInput
        guard raw.hasPrefix("#!::") else {
            return SRTStreamID(resource: raw, mode: .publish)
        }
        var id = SRTStreamID(resource: "")
        for pair in raw.dropFirst(4).split(separator: ",", omittingEmptySubsequences: true) {
            guard let eq = pair.firstIndex(of: "=") else { throw .malformed(String(pair)) }
            let key = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            switch key {
            case "r": id.resource = value
            case "m":
                guard let mode = Mode(rawValue: value) else { throw .badMode(value) }
                id.mode = mode
            case "u": id.user = value
            case "s": id.session = value
            case "t": id.type = value
            default: id.extra[key] = value
            }
        }
        return id
    }

    /// RFC 3986 percent-decoding; nil if an escape is malformed or the result is not UTF-8.
    static func percentDecoded(_ s: String) -> String? {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            guard b == UInt8(ascii: "%") else { out.append(b); continue }
            guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            out.append(v)
            bytes = bytes.dropFirst(2)
        }
        return String(validating: out, as: UTF8.self)
    }
}
