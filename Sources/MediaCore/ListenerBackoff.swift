import NIOCore

/// Pauses a listening channel for `pause` when accept fails (EMFILE: the process is out of
/// descriptors) and reports the failure. NIO's `AcceptBackoffHandler` cannot do it alone: when
/// no accept of a read succeeded, the listener keeps its read pending and stays registered, so
/// epoll wakes it at once and the loop spins (swift-nio 2.101, `ServerSocketChannel.readFromSocket`).
/// Turning autoRead off unregisters the listener; on again, it registers anew. Here because both
/// listeners (RTMP in Ingest, HTTP in Origin) use it. First in the listener's pipeline.
public final class ListenerBackoff: ChannelInboundHandler {
    public typealias InboundIn = Any

    private let pause: TimeAmount
    private let report: (IOError) -> Void
    private var resume: Scheduled<Void>?

    /// `report` runs on the listener's event loop, once per pause.
    public init(pause: TimeAmount = .seconds(1), report: @escaping (IOError) -> Void) {
        self.pause = pause
        self.report = report
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let failure = error as? IOError, resume == nil, let options = context.channel.syncOptions,
           (try? options.setOption(.autoRead, value: false)) != nil {
            report(failure)
            let channel = context.channel
            resume = context.eventLoop.assumeIsolated().scheduleTask(in: pause) {
                self.resume = nil
                try? channel.syncOptions?.setOption(.autoRead, value: true)
            }
        }
        context.fireErrorCaught(error)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ListenerBackoff: Sendable {}
