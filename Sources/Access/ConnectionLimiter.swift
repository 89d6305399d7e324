import Config
import Synchronization

/// Open connections per IP address on one protocol; `limit` is read at every new connection
/// (`limits.maxConnectionsPerIP`, reloadable; 0 or less: no limit for that address).
public final class ConnectionLimiter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let limit: @Sendable (String) -> Int
    private let log = Mutex<(start: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    public init(limit: @escaping @Sendable (_ ip: String) -> Int) {
        self.limit = limit
    }

    /// `limits.maxConnectionsPerIP` of the live configuration, except for `connectionLimitExempt`.
    public convenience init(config: ConfigStore) {
        self.init { ip in
            let limits = config.current.limits
            return limits.connectionLimitExempt.contains(ip) ? 0 : limits.maxConnectionsPerIP
        }
    }

    /// Counts a new connection from `ip`; false (and not counted) when `ip` has `limit` open.
    public func open(_ ip: String) -> Bool {
        let max = limit(ip)
        return counts.withLock { c in
            let n = c[ip, default: 0]
            guard max <= 0 || n < max else { return false }
            c[ip] = n + 1
            return true
        }
    }

    /// Whether `open(ip)` would admit now (libsrt's handshake asks before the connection exists).
    public func wouldAdmit(_ ip: String) -> Bool {
        let max = limit(ip)
        return max <= 0 || counts.withLock { $0[ip] ?? 0 } < max
    }

    /// A connection counted by `open` closed.
    public func close(_ ip: String) {
        counts.withLock { c in
            guard let n = c[ip] else { return }
            c[ip] = n > 1 ? n - 1 : nil
        }
    }

    public func count(_ ip: String) -> Int { counts.withLock { $0[ip] ?? 0 } }

    /// One log line per 10 s for refusals a client can cause at will: nil to stay quiet, else
    /// how many went unlogged before this one.
    public func shouldLog() -> Int? {
        let now = ContinuousClock.now
        return log.withLock { s in
            if let start = s.start, now - start < .seconds(10) {
                s.suppressed += 1
                return nil
            }
            let suppressed = s.suppressed
            s = (now, 0)
            return suppressed
        }
    }
}
