import Glibc

/// What one HTTP client may cost the origin: connections, time and bytes.
public struct OriginLimits: Sendable {
    /// Open connections; beyond it the listener stops accepting (new ones wait in the backlog)
    /// until one closes.
    public var maxConnections: Int
    /// A request (head and body) must arrive completely within this, from its first byte.
    public var requestTimeout: Duration
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration
    /// A connection whose responses the client does not read (socket not writable) is closed
    /// after this.
    public var writeStallTimeout: Duration
    /// Bytes of one request (request line, headers, body); larger closes the connection.
    public var maxRequestBytes: Int

    public init(maxConnections: Int = OriginLimits.defaultMaxConnections, requestTimeout: Duration = .seconds(10),
                idleTimeout: Duration = .seconds(60), writeStallTimeout: Duration = .seconds(60),
                maxRequestBytes: Int = 16 * 1024) {
        self.maxConnections = max(1, maxConnections)
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.writeStallTimeout = writeStallTimeout
        self.maxRequestBytes = max(1024, maxRequestBytes)
    }

    /// The descriptor limit less 256 for listeners, publishers and files, at most 16,384:
    /// accepting until EMFILE would leave ingest and `/healthz` without descriptors.
    public static var defaultMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_000 }
        let soft = UInt64(limit.rlim_cur)
        return Int(min(16_384, max(32, soft > 512 ? soft - 256 : soft / 2)))
    }
}
