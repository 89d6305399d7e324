import Foundation
import NIOCore

/// Counts datagrams and sends each back to its sender.
final class DatagramEcho: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let tally: Locked<PeerTally>

    init(tally: Locked<PeerTally>) {
        self.tally = tally
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        tally.withLock {
            $0.bytes += envelope.data.readableBytes
            $0.datagrams += 1
            $0.first = $0.first ?? Date()
            $0.last = Date()
        }
        context.writeAndFlush(wrapOutboundOut(envelope), promise: nil)
    }
}
