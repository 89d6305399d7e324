/// One request to publish or play, as every protocol describes it.
public struct AccessRequest: Sendable, Equatable {
    public var action: AccessAction
    /// The validated stream path, e.g. `live/show`.
    public var path: String
    /// What the client sent after the name (RTMP `name?query`, the SRT streamid's other fields,
    /// an HLS URL's query), still percent-encoded.
    public var query: String
    /// `rtmp`, `srt` or `hls`.
    public var transport: String
    /// The peer's address (for the webhook and the log).
    public var remote: String

    public init(action: AccessAction, path: String, query: String = "", transport: String, remote: String = "") {
        self.action = action
        self.path = path
        self.query = query
        self.transport = transport
        self.remote = remote
    }
}

/// Allowed or not, and why, in words for the client and the log.
public struct AccessDecision: Sendable, Equatable {
    public var allowed: Bool
    public var reason: String
    /// A digest of the secret the publisher proved (its static key, or the HMAC secret its token
    /// was signed with); nil when it proved none. A republish to a live path takes it over only
    /// with the same credential.
    public var credential: String?

    public static func allow(_ reason: String, credential: String? = nil) -> AccessDecision {
        AccessDecision(allowed: true, reason: reason, credential: credential)
    }

    public static func deny(_ reason: String) -> AccessDecision {
        AccessDecision(allowed: false, reason: reason, credential: nil)
    }
}

/// Decides who may publish or play a path.
///
/// `check` is the cheap part (static keys, HMAC tokens: no I/O), safe where a callback must
/// answer at once (libsrt's listen callback, an event loop). `authorize` is the whole decision,
/// which may ask a webhook: await it off the event loop and start nothing costly before it.
public protocol AccessControl: Sendable {
    func check(_ request: AccessRequest) -> AccessDecision
    func authorize(_ request: AccessRequest) async -> AccessDecision
    /// Whether `authorize` may do more than `check` for this request (a webhook is asked).
    func needsAsyncDecision(_ request: AccessRequest) -> Bool
}

extension AccessControl {
    public func authorize(_ request: AccessRequest) async -> AccessDecision { check(request) }
    public func needsAsyncDecision(_ request: AccessRequest) -> Bool { false }
}
