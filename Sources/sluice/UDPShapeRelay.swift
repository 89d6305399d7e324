import LinkShaper
import NIOCore
import NIOPosix

/// `sluice shape --udp`: a datagram relay (SRT and the like). Each client address gets its own
/// upstream socket, so the target's replies find their way back; flows are bounded in number
/// and end when idle. Datagrams go through the shared links and are dropped when the queue is
/// full or lost as the loss model says. Everything on one event loop.
final class UDPShapeRelay {
    static let maxFlows = 64
    static let idleTimeout: TimeAmount = .seconds(60)
    /// Large enough for any datagram; a small datagram is copied out so the queue holds its size, not 64 KiB.
    static let receiveCapacity = 65536
    /// A burst from the sender should reach the shaper's queue (and be dropped there, counted),
    /// not overflow the kernel's default 208 KiB buffer unseen.
    static let socketBuffer: SocketOptionValue = 4 << 20

    private let loop: any EventLoop
    private let target: SocketAddress
    private let up: ShapedLink
    private let down: ShapedLink
    private var listener: (any Channel)?
    private var flows: [SocketAddress: Flow] = [:]
    private var sweeper: RepeatedTask?
    private(set) var refusedFlows = 0

    final class Flow {
        let client: SocketAddress
        var upstream: (any Channel)?
        var lastActive: NIODeadline = .now()
        var closed = false
        init(client: SocketAddress) { self.client = client }
    }

    init(loop: any EventLoop, target: SocketAddress, up: ShapedLink, down: ShapedLink) {
        self.loop = loop
        self.target = target
        self.up = up
        self.down = down
    }

    func start(listen: SocketAddress) -> EventLoopFuture<SocketAddress?> {
        let bound = NIOLoopBound(self, eventLoop: loop)
        return DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.receiveCapacity))
            .channelOption(.socketOption(.so_rcvbuf), value: Self.socketBuffer)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler { envelope in
                        bound.value.fromClient(envelope)
                    })
                }
            }
            .bind(to: listen)
            .map { channel in
                let relay = bound.value
                relay.listener = channel
                relay.sweeper = channel.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(5), delay: .seconds(5)) { _ in
                    bound.value.closeIdleFlows()
                }
                return channel.localAddress
            }
    }

    private func fromClient(_ envelope: AddressedEnvelope<ByteBuffer>) {
        let flow: Flow
        if let existing = flows[envelope.remoteAddress] {
            flow = existing
        } else {
            guard flows.count < Self.maxFlows else {
                refusedFlows += 1
                return
            }
            flow = Flow(client: envelope.remoteAddress)
            flows[envelope.remoteAddress] = flow
            openUpstream(for: flow)
        }
        flow.lastActive = .now()
        let data = Self.compact(envelope.data)
        let verdict = up.offerDatagram(bytes: data.readableBytes, at: up.now())
        guard case let .deliver(arrives, _) = verdict else { return }
        let bound = NIOLoopBound(self, eventLoop: loop)
        let flowBound = NIOLoopBound(flow, eventLoop: loop)
        loop.scheduleTask(deadline: up.deadline(arrives)) {
            let relay = bound.value, flow = flowBound.value
            guard let upstream = flow.upstream, !flow.closed, upstream.isWritable else {
                relay.up.finished(bytes: data.readableBytes, handed: false)
                return
            }
            relay.up.finished(bytes: data.readableBytes)
            upstream.writeAndFlush(AddressedEnvelope(remoteAddress: relay.target, data: data), promise: nil)
        }
    }

    private func fromTarget(_ envelope: AddressedEnvelope<ByteBuffer>, flow: Flow) {
        // Only the target's datagrams go back to the client.
        guard envelope.remoteAddress == target, !flow.closed else { return }
        flow.lastActive = .now()
        let data = Self.compact(envelope.data)
        let verdict = down.offerDatagram(bytes: data.readableBytes, at: down.now())
        guard case let .deliver(arrives, _) = verdict else { return }
        let bound = NIOLoopBound(self, eventLoop: loop)
        let client = flow.client
        loop.scheduleTask(deadline: down.deadline(arrives)) {
            let relay = bound.value
            guard let listener = relay.listener, listener.isWritable else {
                relay.down.finished(bytes: data.readableBytes, handed: false)
                return
            }
            relay.down.finished(bytes: data.readableBytes)
            listener.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: data), promise: nil)
        }
    }

    private func openUpstream(for flow: Flow) {
        let bound = NIOLoopBound(self, eventLoop: loop)
        let flowBound = NIOLoopBound(flow, eventLoop: loop)
        let any: SocketAddress
        do {
            any = try SocketAddress(ipAddress: target.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)
        } catch {
            return
        }
        DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.receiveCapacity))
            .channelOption(.socketOption(.so_rcvbuf), value: Self.socketBuffer)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler { envelope in
                        bound.value.fromTarget(envelope, flow: flowBound.value)
                    })
                }
            }
            .bind(to: any)
            .whenComplete { result in
                let flow = flowBound.value
                switch result {
                case .success(let channel):
                    if flow.closed { channel.close(promise: nil) } else { flow.upstream = channel }
                case .failure:
                    flow.closed = true
                    bound.value.flows[flow.client] = nil
                }
            }
    }

    private func closeIdleFlows() {
        let now = NIODeadline.now()
        for (address, flow) in flows where now - flow.lastActive > Self.idleTimeout {
            flow.closed = true
            flow.upstream?.close(promise: nil)
            flows[address] = nil
        }
    }

    private static func compact(_ data: ByteBuffer) -> ByteBuffer {
        guard data.capacity > 4 * max(data.readableBytes, 512) else { return data }
        var copy = ByteBufferAllocator().buffer(capacity: data.readableBytes)
        copy.writeImmutableBuffer(data)
        return copy
    }

    func stop() -> EventLoopFuture<Void> {
        sweeper?.cancel()
        var closes: [EventLoopFuture<Void>] = []
        for flow in flows.values {
            flow.closed = true
            if let upstream = flow.upstream { closes.append(upstream.close()) }
        }
        flows.removeAll()
        if let listener { closes.append(listener.close()) }
        listener = nil
        return EventLoopFuture.andAllComplete(closes, on: loop)
    }
}

@available(*, unavailable)
extension UDPShapeRelay: Sendable {}
