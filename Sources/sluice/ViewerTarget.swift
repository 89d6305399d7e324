/// Host, port and path of an http:// URL, and playlist URI resolution against a path.
struct ViewerTarget: Sendable {
    var host: String
    var port: Int
    var path: String

    init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    init?(_ url: String) {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = p
        } else {
            host = String(authority)
            port = 80
        }
    }

    /// Resolves a playlist URI against the path of the playlist that named it.
    static func resolve(_ uri: String, against base: String) -> String {
        if uri.hasPrefix("/") { return uri }
        var dir = base.split(separator: "?").first.map(String.init) ?? base
        if let slash = dir.lastIndex(of: "/") { dir = String(dir[...slash]) }
        var parts = dir.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast()
        for c in uri.split(separator: "/") {
            if c == ".." { if parts.count > 1 { parts.removeLast() } } else if c != "." { parts.append(String(c)) }
        }
        return parts.joined(separator: "/")
    }
}
