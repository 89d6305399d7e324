/// A parsed SDP (RFC 8866): session-level attributes and media sections. Bounded: a browser
/// offer is a few KiB; larger texts and absurd line counts are refused.
public struct SessionDescription: Sendable, Equatable {
    public static let maxBytes = 64 * 1024
    public static let maxLines = 2000
    public static let maxMediaSections = 16

    public var origin: String?
    public var sessionAttributes: [SDPAttribute] = []
    public var media: [MediaDescription] = []

    public init() {}

    public func sessionValues(_ name: String) -> [String] {
        sessionAttributes.compactMap { $0.name == name ? ($0.value ?? "") : nil }
    }

    /// A value from the media section, falling back to the session level (ice-ufrag, fingerprint, setup).
    public func value(_ name: String, in m: MediaDescription) -> String? {
        m.value(name) ?? sessionValues(name).first
    }

    /// Mids of the BUNDLE group, if any.
    public var bundleMids: [String]? {
        for g in sessionValues("group") {
            let parts = g.split(separator: " ").map(String.init)
            if parts.first == "BUNDLE" { return Array(parts.dropFirst()) }
        }
        return nil
    }

    public static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        guard text.utf8.count <= maxBytes else { throw SDPError(.malformed, "the SDP is larger than \(maxBytes) bytes") }
        var sdp = SessionDescription()
        var sawVersion = false
        var lineCount = 0
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            lineCount += 1
            guard lineCount <= maxLines else { throw SDPError(.malformed, "more than \(maxLines) lines") }
            let line = raw.trimmingSpaces
            if line.isEmpty { continue }
            let chars = Array(line.utf8.prefix(2))
            guard chars.count == 2, chars[1] == UInt8(ascii: "="), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(chars[0]) else {
                throw SDPError(.malformed, "line \(lineCount) is not <type>=<value>: \(line.prefix(40))")
            }
            let type = Character(Unicode.Scalar(chars[0]))
            let value = String(line.dropFirst(2))
            if !sawVersion {
                guard type == "v", value == "0" else { throw SDPError(.malformed, "the SDP does not start with v=0") }
                sawVersion = true
                continue
            }
            switch type {
            case "m":
                guard sdp.media.count < maxMediaSections else { throw SDPError(.malformed, "more than \(maxMediaSections) media sections") }
                let parts = value.split(separator: " ").map(String.init)
                // "9" or "9/2"; a port of only slashes ("/") splits into nothing (found by fuzz-webrtc).
                guard parts.count >= 4, let port = parts[1].split(separator: "/").first.flatMap({ Int($0) }), (0...65535).contains(port) else {
                    throw SDPError(.malformed, "bad m= line: \(value.prefix(60))")
                }
                sdp.media.append(MediaDescription(kind: parts[0], port: port, proto: parts[2], formats: Array(parts.dropFirst(3)),
                                                  connection: nil))
            case "a":
                let attribute: SDPAttribute
                if let colon = value.firstIndex(of: ":") {
                    attribute = SDPAttribute(String(value[..<colon]), String(value[value.index(after: colon)...]))
                } else {
                    attribute = SDPAttribute(value)
                }
                if sdp.media.isEmpty { sdp.sessionAttributes.append(attribute) } else { sdp.media[sdp.media.count - 1].attributes.append(attribute) }
            case "c":
                if !sdp.media.isEmpty { sdp.media[sdp.media.count - 1].connection = value }
            case "o":
                sdp.origin = value
            default:
                continue   // s=, t=, b=, i=... carry nothing an answer needs
            }
        }
        guard sawVersion else { throw SDPError(.malformed, "empty SDP") }
        return sdp
    }
}
