/// The glob of `paths[].match`: over whole `/`-separated segments, `*` is exactly one segment
/// and `**` any number of them (none included); anything else matches itself.
public enum PathGlob {
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        let p = pattern.split(separator: "/", omittingEmptySubsequences: true)
        let s = path.split(separator: "/", omittingEmptySubsequences: true)
        return match(p[...], s[...])
    }

    private static func match(_ p: ArraySlice<Substring>, _ s: ArraySlice<Substring>) -> Bool {
        guard let head = p.first else { return s.isEmpty }
        if head == "**" {
            // Try every split; patterns are short, so the backtracking stays small.
            var rest = s
            while true {
                if match(p.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let first = s.first, head == "*" || head == first else { return false }
        return match(p.dropFirst(), s.dropFirst())
    }
}

extension SluiceConfig {
    /// The first `paths[]` rule whose `match` fits `path`, if any.
    public func rule(for path: String) -> PathRule? {
        paths.first { PathGlob.matches($0.match, path) }
    }

    /// Who may publish `path`: its rule's `publish`, else `auth.publish`.
    public func publishAuth(for path: String) -> PublishAuth {
        rule(for: path)?.publish ?? auth.publish
    }

    /// Who may play `path`: its rule's `play`, else `auth.play`.
    public func playAuth(for path: String) -> PlayAuth {
        rule(for: path)?.play ?? auth.play
    }
}
