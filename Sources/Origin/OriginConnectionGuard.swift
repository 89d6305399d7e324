import Logging
import NIOCore

/// First in the pipeline, before the HTTP decoder: bounds what a connection may cost in time
/// and bytes. A request must arrive whole within `requestTimeout` of its first byte (slowloris)
/// and within `maxRequestBytes` (NIO's decoder bounds the head; this also bounds a body the
/// origin never asked for, which was otherwise drained forever); a connection
/// with nothing in progress closes after `idleTimeout`; one whose client stops reading its
/// responses closes after `writeStallTimeout`. While a request is being answered (also a
/// held blocking reload, which has its own limit) no timer runs. `OriginFastPath` tells it
/// where each request starts and ends.
final class OriginConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Phase { case idle, reading, answering }

    private let limits: OriginLimits
    private let logger: Logger
    private var phase = Phase.idle
    /// Bytes received since the last complete request.
    private var bytes = 0
    /// A request completed during the current read.
    private var completed = false
    /// When the connection closes unless the phase changes (nil: no timer applies).
    private var deadline: NIODeadline?
    private var reason = ""
    /// Set while the socket is not writable: when the stall timer closes it.
    private var stallDeadline: NIODeadline?
    /// One scheduled check at a time; it re-arms itself for a later deadline.
    private var timer: Scheduled<Void>?
    private var timerAt: NIODeadline?
    private var context: ChannelHandlerContext?

    init(limits: OriginLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { becameIdle() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        becameIdle()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        deadline = nil
        stallDeadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        if phase == .idle {
            phase = .reading
            arm(after: limits.requestTimeout, "request not complete within the request timeout")
        }
        completed = false
        context.fireChannelRead(data)
        // Counted after the decoder ran: a read may hold many small pipelined requests. Bytes
        // after the last complete one go uncounted, at most one read.
        if !completed { bytes += count }
        if bytes > limits.maxRequestBytes {
            logger.debug("HTTP request larger than \(limits.maxRequestBytes) bytes: closing")
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallDeadline = nil
        } else {
            stallDeadline = .now() + .nanoseconds(limits.writeStallTimeout.nanoseconds)
            schedule(stallDeadline!)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: called by OriginFastPath (same event loop)

    /// A whole request was read: it is being answered; no read timer until the next one starts.
    func requestRead() {
        phase = .answering
        bytes = 0
        completed = true
        deadline = nil
    }

    /// Every request read has been answered and none is queued.
    func becameIdle() {
        guard phase != .reading else { return } // the next request has begun: its timer runs
        phase = .idle
        bytes = 0
        arm(after: limits.idleTimeout, "idle keep-alive connection")
    }

    // MARK: timer

    private func arm(after duration: Duration, _ why: String) {
        let at = NIODeadline.now() + .nanoseconds(duration.nanoseconds)
        deadline = at
        reason = why
        schedule(at)
    }

    private func schedule(_ at: NIODeadline) {
        if let timerAt, timerAt <= at, timer != nil { return } // an earlier check re-arms itself
        guard let context else { return }
        timer?.cancel()
        timerAt = at
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: at) { bound.value.fire() }
    }

    private func fire() {
        timer = nil
        timerAt = nil
        guard let context else { return }
        let now = NIODeadline.now()
        if let stallDeadline, stallDeadline <= now {
            logger.debug("HTTP client stopped reading its responses: closing")
            context.close(promise: nil)
            return
        }
        if let deadline, deadline <= now {
            logger.debug("HTTP \(reason): closing")
            context.close(promise: nil)
            return
        }
        let next = [deadline, stallDeadline].compactMap { $0 }.min()
        if let next { schedule(next) }
    }
}

@available(*, unavailable)
extension OriginConnectionGuard: Sendable {}

extension Duration {
    /// Whole nanoseconds (saturating), for NIO's TimeAmount.
    var nanoseconds: Int64 {
        let (s, atto) = components
        let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : ns &+ atto / 1_000_000_000
    }
}
