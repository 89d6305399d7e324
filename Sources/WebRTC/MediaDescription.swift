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
            // "3" or "3/sendonly"; an id of only slashes splits into nothing (found by fuzz-webrtc).
            guard parts.count >= 2, let id = parts[0].split(separator: "/").first.flatMap({ Int($0) }) else { return nil }
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
