import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// What a test peer saw: bytes, when the first and last arrived, and whether every byte was
/// the expected pattern (byte i of a stream is i mod 251).
struct PeerTally: Sendable {
    var bytes = 0
    var datagrams = 0
    var first: Date?
    var last: Date?
    var intact = true
    var closed = false
}

/// A TCP sink, TCP echo or UDP echo on a free loopback port, on its own event loop.
final class LoopbackPeer: Sendable {
    enum Kind { case tcpSink, tcpEcho, udpEcho }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let tally = Locked(PeerTally())
    private(set) nonisolated(unsafe) var channel: (any Channel)?
    var port: Int { channel?.localAddress?.port ?? 0 }

    init(_ kind: Kind) throws {
        let tally = tally
        switch kind {
        case .tcpSink, .tcpEcho:
            let echo = kind == .tcpEcho
            channel = try ServerBootstrap(group: group)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(StreamPeerHandler(tally: tally, echo: echo)) }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
        case .udpEcho:
            channel = try DatagramBootstrap(group: group)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(DatagramEcho(tally: tally)) }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
        }
    }

    var snapshot: PeerTally { tally.value }

    func shutdown() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    static func pattern(count: Int, from offset: Int = 0) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(count)
        for i in 0..<count { b.writeInteger(UInt8((offset + i) % 251)) }
        return b
    }
}

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

/// A value shared between an event loop and the test, under a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R {
        mutex.withLock { body(&$0) }
    }

    var value: Value { mutex.withLock { $0 } }
}
