import Foundation
import NIOCore

/// Counts (and checks the pattern of) a stream's bytes; echoes them back when asked.
final class StreamPeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let tally: Locked<PeerTally>
    let echo: Bool
    private var offset = 0

    init(tally: Locked<PeerTally>, echo: Bool) {
        self.tally = tally
        self.echo = echo
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let start = offset
        let intact = buffer.readableBytesView.enumerated().allSatisfy { $0.element == UInt8((start + $0.offset) % 251) }
        offset += buffer.readableBytes
        tally.withLock {
            $0.bytes += buffer.readableBytes
            $0.first = $0.first ?? Date()
            $0.last = Date()
            $0.intact = $0.intact && intact
        }
        if echo { context.writeAndFlush(wrapOutboundOut(buffer), promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            tally.withLock { $0.closed = true }
            context.close(promise: nil)
        }
    }
}
