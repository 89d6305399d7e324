import NIOCore

/// What the origin answers for a playlist, part or segment request.
public enum HLSResponse<Body: Sendable>: Sendable {
    case ok(Body)
    /// 400: a malformed or impossible delivery directive.
    case badRequest(String)
    /// 404: neither present nor hinted (or already evicted).
    case notFound
    /// 503: a blocking request that was not satisfied within 3× target duration.
    case unavailable
}
