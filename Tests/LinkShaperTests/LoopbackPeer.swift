import Foundation
import NIOCore
import NIOPosix
import Synchronization

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
