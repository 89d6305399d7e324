/// One `a=name[:value]` line.
public struct SDPAttribute: Sendable, Equatable {
    public var name: String
    public var value: String?
    public init(_ name: String, _ value: String? = nil) { self.name = name; self.value = value }
}

/// An `m=` section with its lines.
public struct MediaDescription: Sendable, Equatable {
    public var kind: String          // video, audio, application
    public var port: Int
    public var proto: String         // UDP/TLS/RTP/SAVPF
    public var formats: [String]     // payload types, in the offerer's order of preference
    public var connection: String?
    public var attributes: [SDPAttribute] = []

    public func values(_ name: String) -> [String] {
        attributes.compactMap { $0.name == name ? ($0.value ?? "") : nil }
    }

    public func value(_ name: String) -> String? { values(name).first }
    public func has(_ name: String) -> Bool { attributes.contains { $0.name == name } }

    public var mid: String? { value("mid") }

    /// sendrecv, sendonly, recvonly or inactive (sendrecv when absent, RFC 8866 section 6.7).
    public var direction: String {
        for a in attributes where ["sendrecv", "sendonly", "recvonly", "inactive"].contains(a.name) { return a.name }
        return "sendrecv"
    }

    /// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` by payload type.
    public var rtpmaps: [Int: RTPMap] {
        var maps: [Int: RTPMap] = [:]
        for v in values("rtpmap") {
            let parts = v.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let pt = Int(parts[0]), (0...127).contains(pt) else { continue }
            let codec = parts[1].split(separator: "/")
            guard codec.count >= 2, let clock = UInt32(codec[1]) else { continue }
            maps[pt] = RTPMap(payloadType: pt, encoding: String(codec[0]), clockRate: clock,
                              channels: codec.count > 2 ? Int(codec[2]) ?? 1 : 1)
        }
        return maps
    }

    /// `a=fmtp:<pt> k=v;k=v` by payload type, keys lowercased.
    public var fmtps: [Int: [String: String]] {
        var result: [Int: [String: String]] = [:]
        for v in values("fmtp") {
            let parts = v.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let pt = Int(parts[0]) else { continue }
            var params: [String: String] = [:]
            for p in parts[1].split(separator: ";") {
                let kv = p.split(separator: "=", maxSplits: 1)
                let key = kv[0].trimmingSpaces.lowercased()
                params[key] = kv.count > 1 ? kv[1].trimmingSpaces : ""
            }
            result[pt] = params
        }
        return result
    }

    /// `a=rtcp-fb:<pt> <type>[ <param>]` by payload type ("*" applies to all, key -1).
    public var rtcpFeedback: [Int: [String]] {
        var result: [Int: [String]] = [:]
        for v in values("rtcp-fb") {
            let parts = v.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0] == "*" ? -1 : Int(parts[0]) ?? -2
            result[key, default: []].append(String(parts[1]))
        }
        return result
    }

    /// `a=extmap:<id>[/<direction>] <uri>` as id → uri.
    public var extensionMaps: [(id: Int, uri: String)] {
        values("extmap").compactMap { v in
            let parts = v.split(separator: " ")
            guard parts.count >= 2, let id = Int(parts[0].split(separator: "/")[0]) else { return nil }
            return (id, String(parts[1]))
        }
    }

    /// The SSRCs announced with `a=ssrc:`, in order, without the RTX/FEC ones of `a=ssrc-group`.
    public var primarySSRCs: [UInt32] {
        var all: [UInt32] = []
        for v in values("ssrc") {
            guard let first = v.split(separator: " ").first, let ssrc = UInt32(first), !all.contains(ssrc) else { continue }
            all.append(ssrc)
        }
        var secondary: Set<UInt32> = []
        for g in values("ssrc-group") {
            let parts = g.split(separator: " ")
            if parts.count >= 3 { for s in parts.dropFirst(2) { if let v = UInt32(s) { secondary.insert(v) } } }
        }
        return all.filter { !secondary.contains($0) }
    }
}

public struct RTPMap: Sendable, Equatable {
    public var payloadType: Int
    public var encoding: String
    public var clockRate: UInt32
    public var channels: Int

    public init(payloadType: Int, encoding: String, clockRate: UInt32, channels: Int = 1) {
        self.payloadType = payloadType; self.encoding = encoding; self.clockRate = clockRate; self.channels = channels
    }
}

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
                guard parts.count >= 4, let port = Int(parts[1].split(separator: "/")[0]), (0...65535).contains(port) else {
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

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
