import Logging
import NIOCore
import Synchronization

/// What every thread may touch of a transport: limits, the session registry (count and ufrags,
/// for `register`'s checks), the socket's writability, and the way onto the loop.
final class TransportCore: Sendable {
    let limits: WebRTCLimits
    let logger: Logger
    let loop: any EventLoop
    let engine: NIOLoopBound<TransportEngine>
    private let writable = Atomic<Bool>(true)
    private let stopped = Atomic<Bool>(false)
    private let registry = TransportMutex(Registry())

    struct Registry {
        var ufrags: Set<String> = []
    }

    /// On `loop`.
    init(limits: WebRTCLimits, logger: Logger, loop: any EventLoop, certificate: DTLSCertificate) {
        self.limits = limits
        self.logger = logger
        self.loop = loop
        engine = NIOLoopBound(TransportEngine(limits: limits, logger: logger, certificate: certificate), eventLoop: loop)
    }

    var isWritable: Bool { writable.load(ordering: .relaxed) }
    func setWritable(_ w: Bool) { writable.store(w, ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .acquiring) }
    func stop() { stopped.store(true, ordering: .releasing) }

    /// Runs `body` on the loop with the engine; nothing once the transport has shut down.
    func execute(_ body: @escaping @Sendable (TransportEngine) -> Void) {
        guard !isStopped else { return }
        if loop.inEventLoop {
            body(engine.value)
        } else {
            loop.execute { body(self.engine.value) }
        }
    }

    /// Reserves a slot and the ufrag; the id for the peer. Throws when full or the ufrag is taken.
    func reserve(ufrag: String) throws(WebRTCTransportError) -> String {
        try registry.withLock { r throws(WebRTCTransportError) -> String in
            guard r.ufrags.count < limits.maxSessions else { throw .tooManySessions(limits.maxSessions) }
            guard !r.ufrags.contains(ufrag) else { throw .duplicateUfrag(ufrag) }
            r.ufrags.insert(ufrag)
            // Unguessable: a session resource (e.g. WHEP's Location) may be named after it.
            var g = SystemRandomNumberGenerator()
            return (0..<2).map { _ in String(g.next() as UInt64, radix: 16) }.map { String(repeating: "0", count: 16 - $0.count) + $0 }.joined()
        }
    }

    func release(ufrag: String) { registry.withLock { _ = $0.ufrags.remove(ufrag) } }

    var sessionCount: Int { registry.withLock { $0.ufrags.count } }
}

public enum WebRTCTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooManySessions(Int)
    case duplicateUfrag(String)
    case badSession(String)
    case shutDown

    public var description: String {
        switch self {
        case .tooManySessions(let n): "WebRTC: the transport already has its \(n) sessions"
        case .duplicateUfrag(let u): "WebRTC: ufrag \(u.prefix(64)) is already registered"
        case .badSession(let why): "WebRTC: \(why)"
        case .shutDown: "WebRTC: the transport is shut down"
        }
    }
}
