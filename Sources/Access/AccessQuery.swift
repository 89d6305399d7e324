import Foundation

/// The credentials in a client's query: `key=` (or `k=`) for a static key, `exp=` and `token=`
/// (or `t=`) for an HMAC token, `st=` for the shared play token of HLS follow-up URLs.
public struct AccessQuery: Sendable, Equatable {
    public var fields: [String: String] = [:]

    /// Parses `a=b&c=d` (percent-decoded; the first of a repeated name wins; at most 32 pairs,
    /// 4 KiB in all: credentials are short).
    public init(_ query: String) {
        guard query.utf8.count <= 4096 else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true).prefix(32) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = kv.first else { continue }
            let raw = kv.count > 1 ? String(kv[1]) : ""
            let value = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
            let key = String(name)
            if fields[key] == nil { fields[key] = value }
        }
    }

    public init(fields: [String: String]) { self.fields = fields }

    public var key: String? { fields["key"] ?? fields["k"] }
    public var expires: String? { fields["exp"] }
    public var token: String? { fields["token"] ?? fields["t"] }
    public var sharedToken: String? { fields["st"] }
}
