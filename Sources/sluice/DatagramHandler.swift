import NIOCore

/// Passes each datagram to a closure; the relay does the rest.
final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let received: (AddressedEnvelope<ByteBuffer>) -> Void

    init(_ received: @escaping (AddressedEnvelope<ByteBuffer>) -> Void) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable from a target that is not up yet: keep relaying.
    }
}

@available(*, unavailable)
extension DatagramHandler: Sendable {}
