import NIOCore

/// The thin adapter on each side of a shaped TCP connection: reads go to the pipe whose source
/// this channel is, `read` requests are held while that pipe is full, writability and closure
/// are passed to the pipes concerned.
final class TCPShapeHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Set once both sides are connected; until then reads are held.
    private var fromHere: TCPShapePipe?
    private var toHere: TCPShapePipe?
    private var heldBeforeWiring = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Both pipes exist: start reading if a read was asked for meanwhile.
    func wire(from: TCPShapePipe, to: TCPShapePipe) {
        fromHere = from
        toHere = to
        if heldBeforeWiring, let context {
            heldBeforeWiring = false
            read(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        fromHere?.received(unwrapInboundIn(data))
    }

    func read(context: ChannelHandlerContext) {
        guard let pipe = fromHere else {
            heldBeforeWiring = true
            return
        }
        if pipe.wantsRead { context.read() } else { pipe.holdRead() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        toHere?.destinationWritabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            fromHere?.sourceClosedByPeer()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fromHere?.sourceClosedByPeer()
        toHere?.destinationClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset peer: close; channelInactive tells the pipes.
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension TCPShapeHandler: Sendable {}
