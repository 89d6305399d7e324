import Access

/// The limits every ingest listener applies at decision time (reloadable): connections per IP
/// and streams published at once.
public struct IngestAdmission: Sendable {
    /// Open connections per IP on this listener; nil: no limit.
    public var perIP: ConnectionLimiter?
    /// `limits.maxPublishers`, read at each publish.
    public var maxPublishers: @Sendable () -> Int

    public init(perIP: ConnectionLimiter? = nil, maxPublishers: @escaping @Sendable () -> Int = { .max }) {
        self.perIP = perIP
        self.maxPublishers = maxPublishers
    }
}
