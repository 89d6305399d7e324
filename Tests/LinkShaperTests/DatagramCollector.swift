import NIOCore

/// Records the number at the head of each datagram that comes back.
final class DatagramCollector: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let numbers: Locked<[UInt32]>

    init(numbers: Locked<[UInt32]>) {
        self.numbers = numbers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = unwrapInboundIn(data)
        guard let n = envelope.data.readInteger(as: UInt32.self) else { return }
        numbers.withLock { $0.append(n) }
    }
}
