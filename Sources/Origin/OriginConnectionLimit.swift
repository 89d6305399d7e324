import HummingbirdCore
import Logging
import NIOCore

/// At most `maximum` open HTTP connections: at the limit Hummingbird's listener stops
/// accepting (connections wait in the backlog) until one closes. One warning per minute
/// while the limit is hit. Runs on the listener's event loop.
struct OriginConnectionLimit: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    var observer: (any OriginObserver)?
    private(set) var open = 0
    private var lastWarning: NIODeadline?

    init(maximum: Int, logger: Logger, observer: (any OriginObserver)? = nil) {
        self.maximum = maximum
        self.logger = logger
        self.observer = observer
    }

    mutating func connectionOpened() {
        open += 1
        observer?.connectionOpened()
        guard open >= maximum else { return }
        let now = NIODeadline.now()
        if let last = lastWarning, now - last < .seconds(60) { return }
        logger.warning("HTTP connection limit reached: \(open) open (limit \(maximum)); new connections wait until one closes")
        lastWarning = now
    }

    mutating func connectionClosed() {
        open -= 1
        observer?.connectionClosed()
    }

    func isAcceptingNewConnections() -> Bool {
        open < maximum
    }
}
