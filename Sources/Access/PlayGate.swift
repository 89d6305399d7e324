import Config

/// Signed play URLs on HLS: the multivariant playlist needs a viewer's personal token
/// (`exp=...&token=...`); every follow-up URL (media playlists, parts, segments, init) takes the
/// personal token or the stream's shared one (`st=...`), which the origin writes into the
/// playlists it serves. The shared token is the same for every viewer within a window, so
/// media URLs stay identical across viewers and a CDN caches each once.
public struct PlayGate: Sendable {
    public struct Settings: Sendable, Equatable {
        public var secret: String
        public var sharedSeconds: Int
        public var windowSeconds: Int
        public init(secret: String, sharedSeconds: Int = 3600, windowSeconds: Int = 600) {
            self.secret = secret
            self.sharedSeconds = sharedSeconds
            self.windowSeconds = windowSeconds
        }
    }

    public enum Verdict: Sendable, Equatable {
        /// No signing secret for this path.
        case open
        /// Allowed; follow-up URLs carry `st=<shared>`.
        case allowed(shared: String)
        case denied(String)
    }

    /// The settings for a stream path, read per request; nil: open.
    public let settings: @Sendable (String) -> Settings?

    public init(settings: @escaping @Sendable (String) -> Settings?) {
        self.settings = settings
    }

    /// From the live configuration: `paths[].play` or `auth.play`.
    public init(config: ConfigStore) {
        settings = { path in
            let play = config.current.playAuth(for: path)
            return play.signingSecret.map { Settings(secret: $0, sharedSeconds: play.sharedTokenSeconds, windowSeconds: play.sharedTokenWindowSeconds) }
        }
    }

    /// `personalOnly`: the multivariant playlist, where a viewer's own token is required.
    public func check(path: String, query: [String: String], personalOnly: Bool, now: Int = AccessToken.now()) -> Verdict {
        guard let s = settings(path) else { return .open }
        let q = AccessQuery(fields: query)
        let allowed = Verdict.allowed(shared: AccessToken.sharedToken(secret: s.secret, path: path, now: now,
                                                                      ttl: s.sharedSeconds, window: s.windowSeconds))
        if !personalOnly, let st = q.sharedToken {
            switch AccessToken.verifyShared(secret: s.secret, path: path, value: st, now: now) {
            case .valid: return allowed
            case .expired: return .denied("the stream's shared play token expired: load the multivariant playlist again")
            case .bad: return .denied("bad play token")
            }
        }
        guard let exp = q.expires, let token = q.token else { return .denied("a signed play URL is required (exp=...&token=...)") }
        switch AccessToken.verify(secret: s.secret, action: "play", path: path, expires: exp, token: token, now: now) {
        case .valid: return allowed
        case .expired: return .denied("the play token expired")
        case .bad: return .denied("bad play token")
        }
    }
}
