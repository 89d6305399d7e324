import NIOCore
import NIOPosix

/// `sluice shape` for TCP: accepts on the listen address, connects each client to the target
/// and shapes the two directions through the shared links. Every channel is on one event loop,
/// so the links (one queue per direction, as a real bottleneck) need no locks.
final class TCPShapeRelay {
    /// Small socket buffers, so a full shaper queue stalls the sender within tens of kilobytes
    /// instead of megabytes of loopback autotuning: the queue the sender sees is the shaper's.
    static let socketBuffer: SocketOptionValue = 128 << 10
    static let maxConnections = 256

    private let loop: any EventLoop
    private let target: SocketAddress
    private let up: ShapedLink
    private let down: ShapedLink
    private var server: (any Channel)?
    private var connections: [ObjectIdentifier: (client: any Channel, upstream: (any Channel)?)] = [:]
    private(set) var refused = 0

    init(loop: any EventLoop, target: SocketAddress, up: ShapedLink, down: ShapedLink) {
        self.loop = loop
        self.target = target
        self.up = up
        self.down = down
    }

    /// Binds the listener; the returned address has the real port (for `--listen HOST:0`).
    func start(listen: SocketAddress) -> EventLoopFuture<SocketAddress?> {
        let bound = NIOLoopBound(self, eventLoop: loop)
        return ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(.so_rcvbuf), value: Self.socketBuffer)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.so_sndbuf), value: Self.socketBuffer)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = TCPShapeHandler()
                    try channel.pipeline.syncOperations.addHandler(handler)
                    bound.value.accepted(channel, handler: handler)
                }
            }
            .bind(to: listen)
            .map { channel in
                bound.value.server = channel
                return channel.localAddress
            }
    }

    private func accepted(_ client: any Channel, handler: TCPShapeHandler) {
        guard connections.count < Self.maxConnections else {
            refused += 1
            client.close(promise: nil)
            return
        }
        let key = ObjectIdentifier(client)
        connections[key] = (client, nil)
        let bound = NIOLoopBound(self, eventLoop: loop)
        // The pipes close the upstream side once what was already sent has been delivered.
        client.closeFuture.whenComplete { _ in bound.value.connections[key] = nil }
        let upstreamHandler = NIOLoopBound(TCPShapeHandler(), eventLoop: loop)
        let clientHandler = NIOLoopBound(handler, eventLoop: loop)
        ClientBootstrap(group: loop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.socketOption(.so_rcvbuf), value: Self.socketBuffer)
            .channelOption(.socketOption(.so_sndbuf), value: Self.socketBuffer)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(upstreamHandler.value)
                }
            }
            .connect(to: target)
            .whenComplete { result in
                let relay = bound.value
                switch result {
                case .success(let upstream):
                    guard client.isActive, relay.connections[key] != nil else {
                        upstream.close(promise: nil)
                        return
                    }
                    relay.connections[key]?.upstream = upstream
                    relay.wire(client: client, clientHandler: clientHandler.value, upstream: upstream, upstreamHandler: upstreamHandler.value)
                case .failure:
                    // The target refused or is unreachable: the client sees its connection close.
                    client.close(promise: nil)
                }
            }
    }

    private func wire(client: any Channel, clientHandler: TCPShapeHandler, upstream: any Channel, upstreamHandler: TCPShapeHandler) {
        let upPipe = TCPShapePipe(link: up, source: client, destination: upstream)
        let downPipe = TCPShapePipe(link: down, source: upstream, destination: client)
        // Both directions done (drained or a side gone): close both sockets.
        let both = {
            guard upPipe.finished, downPipe.finished else { return }
            client.close(promise: nil)
            upstream.close(promise: nil)
        }
        upPipe.onFinished = both
        downPipe.onFinished = both
        clientHandler.wire(from: upPipe, to: downPipe)
        upstreamHandler.wire(from: downPipe, to: upPipe)
    }

    func stop() -> EventLoopFuture<Void> {
        let closes = connections.values.flatMap { [$0.client, $0.upstream].compactMap { $0 } }.map { $0.close() }
        connections.removeAll()
        let serverClosed = server?.close() ?? loop.makeSucceededVoidFuture()
        server = nil
        return EventLoopFuture.andAllComplete(closes + [serverClosed], on: loop)
    }
}

@available(*, unavailable)
extension TCPShapeRelay: Sendable {}
