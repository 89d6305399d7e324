/// The delivery directives of a media playlist request (rfc8216bis 6.2.5).
public struct PlaylistRequest: Sendable, Equatable {
    public var msn: Int?
    public var part: Int?
    /// `_HLS_skip=YES` or `v2`: a delta update.
    public var skip: Bool

    public init(msn: Int? = nil, part: Int? = nil, skip: Bool = false) {
        self.msn = msn
        self.part = part
        self.skip = skip
    }

    /// Parses the query; nil (answer 400) for malformed directives or `_HLS_part` without `_HLS_msn`.
    public static func parse(_ query: [String: String]) -> PlaylistRequest? {
        var r = PlaylistRequest()
        if let m = query["_HLS_msn"] {
            guard let v = Int(m), v >= 0 else { return nil }
            r.msn = v
        }
        if let p = query["_HLS_part"] {
            guard let v = Int(p), v >= 0, r.msn != nil else { return nil }
            r.part = v
        }
        if let s = query["_HLS_skip"] { r.skip = s == "YES" || s == "v2" }
        return r
    }

    public enum Decision: Sendable, Equatable {
        case ready
        case wait
        case badRequest(String)
    }

    /// How far past the newest part a request may ask (the Advance Part Limit).
    public static let advancePartLimit = 3

    /// Whether `timeline` can answer this request now.
    public func decide(_ timeline: RenditionTimeline) -> Decision {
        if timeline.ended { return .ready } // ENDLIST: directives are ignored.
        guard let m = msn else { return timeline.hasParts ? .ready : .wait }
        if m > timeline.lastMSN + 2 { return .badRequest("_HLS_msn \(m) is more than 2 past \(timeline.lastMSN)") }
        guard let latest = timeline.latest else {
            if let n = part, n > Self.advancePartLimit { return .badRequest("_HLS_part \(n) beyond the advance part limit") }
            return .wait
        }
        if let n = part {
            // min: n + 1 overflowed for _HLS_part=Int.max (a trap from one GET); past the limit is past it.
            let ahead = m == latest.msn ? n - latest.part : (m > latest.msn ? min(n, Self.advancePartLimit) + 1 : 0)
            if ahead > Self.advancePartLimit { return .badRequest("_HLS_part \(n) beyond the advance part limit") }
            // N beyond the last part of M means part 0 of M+1: any part of a later segment satisfies it.
            return latest.msn > m || (latest.msn == m && latest.part >= n) ? .ready : .wait
        }
        // msn only: Safari waits for the next segment this way, so part 0 of M is enough.
        return latest.msn >= m ? .ready : .wait
    }
}
