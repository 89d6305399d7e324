import NIOCore

/// One answered HTTP request as the origin saw it, for metrics and viewer analytics.
public struct OriginObservation: Sendable {
    /// The request path without the query.
    public var path: String
    public var status: Int
    /// Body bytes sent (0 for HEAD).
    public var bytes: Int
    /// The peer's IP address; nil where the stack does not tell (router path).
    public var remoteAddress: String?
    public var userAgent: String?
    /// When the request head arrived and when its answer was written (held blocking
    /// requests: when the part landed).
    public var received: ContinuousClock.Instant
    public var answered: ContinuousClock.Instant

    public init(path: String, status: Int, bytes: Int, remoteAddress: String?, userAgent: String?,
                received: ContinuousClock.Instant, answered: ContinuousClock.Instant) {
        self.path = path
        self.status = status
        self.bytes = bytes
        self.remoteAddress = remoteAddress
        self.userAgent = userAgent
        self.received = received
        self.answered = answered
    }
}

/// Told of every request the origin answers, once, on the thread that answered it (an event
/// loop for HLS GETs): keep it cheap and never block.
public protocol OriginObserver: Sendable {
    func answered(_ request: OriginObservation)
    /// An HTTP connection was accepted / closed (on the listener's event loop).
    func connectionOpened()
    func connectionClosed()
}

extension OriginObserver {
    public func connectionOpened() {}
    public func connectionClosed() {}
}
