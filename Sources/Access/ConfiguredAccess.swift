import Config
import Logging

/// Access control from the configuration (`auth`, `paths[].publish/play`), read from the
/// `ConfigStore` at every decision, so a reload applies to the next publish or play.
public final class ConfiguredAccess: AccessControl {
    public let config: ConfigStore
    public let webhook = AccessWebhook()
    private let logger: Logger

    public init(config: ConfigStore, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func check(_ request: AccessRequest) -> AccessDecision {
        let current = config.current
        let query = AccessQuery(request.query)
        switch request.action {
        case .publish: return Self.checkPublish(current.publishAuth(for: request.path), path: request.path, query: query)
        case .play: return Self.checkPlay(current.playAuth(for: request.path), path: request.path, query: query)
        }
    }

    public func needsAsyncDecision(_ request: AccessRequest) -> Bool {
        let hook = config.current.auth.webhook
        return hook.url != nil && hook.actions.contains(request.action.rawValue)
    }

    public func authorize(_ request: AccessRequest) async -> AccessDecision {
        let first = check(request)
        guard first.allowed else { return first }
        let hook = config.current.auth.webhook
        guard let url = hook.url, hook.actions.contains(request.action.rawValue) else { return first }
        switch await webhook.ask(url: url, timeoutMs: hook.timeoutMs, request: request) {
        case .allowed:
            return first
        case .denied(let status):
            return .deny("the access webhook refused (HTTP \(status))")
        case .unreachable(let why):
            if hook.failOpen {
                logger.warning("access webhook unreachable; allowed (failOpen)", metadata: ["path": "\(request.path)", "error": "\(why)"])
                return first
            }
            return .deny("the access webhook could not be asked (\(why)) and failOpen is false")
        }
    }

    public func shutdown() async {
        await webhook.shutdown()
    }

    /// Static keys first, then an HMAC token; with neither configured, publishing is open.
    public static func checkPublish(_ auth: SluiceConfig.PublishAuth, path: String, query: AccessQuery,
                                    now: Int = AccessToken.now()) -> AccessDecision {
        if auth.keys.isEmpty && auth.hmacSecret == nil { return .allow("publishing is open") }
        if let key = query.key, !key.isEmpty, !auth.keys.isEmpty {
            // Every key is compared, so the time taken does not tell which one nearly matched.
            let matched = auth.keys.reduce(0) { $0 + (AccessToken.equal($1, key) ? 1 : 0) } > 0
            if matched { return .allow("publish key accepted", credential: AccessToken.digest("key\n\(key)")) }
            if auth.hmacSecret == nil || query.token == nil { return .deny("wrong publish key") }
        }
        if let secret = auth.hmacSecret, let exp = query.expires, let token = query.token {
            switch AccessToken.verify(secret: secret, action: "publish", path: path, expires: exp, token: token, now: now) {
            case .valid: return .allow("publish token accepted", credential: AccessToken.digest("hmac\n\(secret)"))
            case .expired: return .deny("the publish token expired")
            case .bad: return .deny("bad publish token")
            }
        }
        if auth.keys.isEmpty { return .deny("a publish token is required (exp=...&token=...)") }
        return .deny("a publish key is required (key=...)")
    }

    /// A personal play token (`exp=...&token=...`) when the path has a signing secret.
    public static func checkPlay(_ auth: SluiceConfig.PlayAuth, path: String, query: AccessQuery,
                                 now: Int = AccessToken.now()) -> AccessDecision {
        guard let secret = auth.signingSecret else { return .allow("playing is open") }
        guard let exp = query.expires, let token = query.token else { return .deny("a signed play URL is required (exp=...&token=...)") }
        switch AccessToken.verify(secret: secret, action: "play", path: path, expires: exp, token: token, now: now) {
        case .valid: return .allow("play token accepted")
        case .expired: return .deny("the play token expired")
        case .bad: return .deny("bad play token")
        }
    }
}
