import Access
import HLS
import Synchronization

/// Access control on the origin: signed play URLs (`PlayGate`) and the per-IP connection limit.
/// Playlists of a signed stream are served with every URI carrying the stream's shared token
/// (`st=`), the same for every viewer within a window, so media URLs stay cacheable.
public final class OriginAccess: Sendable {
    public let gate: PlayGate?
    public let perIP: ConnectionLimiter?
    /// Signed forms of the shared media playlists, per request path: one rewrite per part
    /// published and window, not one per viewer.
    private let signed = Mutex<[String: (source: PlaylistBody, query: String, body: PlaylistBody)]>([:])

    public init(gate: PlayGate? = nil, perIP: ConnectionLimiter? = nil) {
        self.gate = gate
        self.perIP = perIP
    }

    /// The signed form of a shared playlist body (cached while the body and token stay the same).
    func sign(_ body: PlaylistBody, key: String, query: String) -> PlaylistBody {
        if let hit = signed.withLock({ $0[key] }), hit.source === body, hit.query == query { return hit.body }
        let out = PlaylistBody(Self.rewrite(body.text, query: query))
        signed.withLock { cache in
            if cache.count >= 4096 { cache.removeAll() } // renditions of ended streams go too
            cache[key] = (body, query, out)
        }
        return out
    }

    /// Appends `query` to every URI of a playlist: URI lines and `URI="..."` attributes.
    static func rewrite(_ text: String, query: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 64 * query.utf8.count)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                // keeps the final newline
            } else if line.hasPrefix("#") {
                var rest = line[...]
                while let r = rest.range(of: "URI=\"") {
                    out += rest[..<r.upperBound]
                    rest = rest[r.upperBound...]
                    guard let close = rest.firstIndex(of: "\"") else { break }
                    let uri = rest[..<close]
                    out += uri + (uri.contains("?") ? "&" : "?") + query
                    rest = rest[close...]
                }
                out += rest
            } else {
                out += line + (line.contains("?") ? "&" : "?") + query
            }
            out += "\n"
        }
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }
}
