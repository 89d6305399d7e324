import LinkShaper
import NIOCore

/// One direction of one shaped TCP connection: bytes read from `source` go through the shared
/// `ShapedLink` in segments and are written to `destination` when they arrive. Back-pressure
/// instead of drops: while the link's queue is full, the destination is not writable or the
/// link's in-flight bound is reached, the pipe stops reading from `source` (the sender's data
/// waits in its own socket), so every buffer here is bounded. Confined to the relay's loop.
final class TCPShapePipe {
    /// A segment's size: one Ethernet MTU, so queueing and loss act on packets, not on reads.
    static let segmentBytes = 1500

    private let link: ShapedLink
    private let source: any Channel
    private let destination: any Channel
    /// Read from the source, not yet admitted to the link (at most one read: reading pauses).
    private var pending = CircularBuffer<ByteBuffer>()
    /// Admitted, in arrival order, with the time each reaches the far side.
    private var inFlight = CircularBuffer<(arrives: Double, bytes: ByteBuffer)>()
    private var deliveryTimer: Scheduled<Void>?
    private var retryTimer: Scheduled<Void>?
    private var heldRead = false
    private var sourceClosed = false
    /// Nothing more goes through: drained after the source closed, or the destination closed.
    private(set) var finished = false
    /// Told once, when `finished` becomes true.
    var onFinished: (() -> Void)?

    init(link: ShapedLink, source: any Channel, destination: any Channel) {
        self.link = link
        self.source = source
        self.destination = destination
    }

    /// True while the source may be read.
    var wantsRead: Bool { pending.isEmpty && !finished && !link.isFull && destination.isWritable }

    /// The source handler's `read` when `wantsRead` is false: issued later by `resume()`.
    func holdRead() { heldRead = true }

    func received(_ buffer: ByteBuffer) {
        guard !finished else { return }
        var buffer = buffer
        while buffer.readableBytes > 0, let segment = buffer.readSlice(length: min(Self.segmentBytes, buffer.readableBytes)) {
            pending.append(segment)
        }
        admit()
    }

    /// The source closed (EOF or error): what is admitted is still delivered, then the
    /// destination is closed.
    func sourceClosedByPeer() {
        sourceClosed = true
        finishIfDrained()
    }

    /// The destination closed: nothing more can be delivered; the rest is discarded.
    func destinationClosed() {
        guard !finished else { return }
        for item in inFlight { link.finished(bytes: item.bytes.readableBytes, handed: false) }
        inFlight.removeAll()
        pending.removeAll()
        finish()
    }

    func destinationWritabilityChanged() {
        if destination.isWritable { admit() }
    }

    private func admit() {
        retryTimer?.cancel()
        retryTimer = nil
        let now = link.now()
        while let segment = pending.first, destination.isWritable {
            switch link.offerSegment(bytes: segment.readableBytes, at: now) {
            case let .deliver(arrives, _):
                inFlight.append((arrives, segment))
                pending.removeFirst()
            case .lost:
                // Not for a byte stream (its losses come back as delay); dropped if it ever were.
                pending.removeFirst()
            case .queueFull:
                scheduleRetry(bytes: segment.readableBytes, now: now)
                scheduleDelivery()
                return
            }
        }
        scheduleDelivery()
        resume()
    }

    private func resume() {
        if heldRead, wantsRead {
            heldRead = false
            source.read()
        }
    }

    private func scheduleRetry(bytes: Int, now: Double) {
        // When the queue will have room at the present rate; at least 1 ms on, so a rate of 0 polls gently.
        let at = max(link.admissionTime(bytes: bytes, after: now), now + 0.001)
        let bound = NIOLoopBound(self, eventLoop: source.eventLoop)
        retryTimer = source.eventLoop.scheduleTask(deadline: link.deadline(at)) { bound.value.admit() }
    }

    private func scheduleDelivery() {
        guard deliveryTimer == nil, let head = inFlight.first else { return }
        let bound = NIOLoopBound(self, eventLoop: source.eventLoop)
        deliveryTimer = source.eventLoop.scheduleTask(deadline: link.deadline(head.arrives)) {
            bound.value.deliverDue()
        }
    }

    private func deliverDue() {
        deliveryTimer = nil
        guard !finished else { return }
        let now = link.now()
        var wrote = false
        while let head = inFlight.first, head.arrives <= now + 0.0005 {
            inFlight.removeFirst()
            link.finished(bytes: head.bytes.readableBytes)
            destination.write(head.bytes, promise: nil)
            wrote = true
        }
        if wrote { destination.flush() }
        scheduleDelivery()
        if !pending.isEmpty { admit() } else { resume() }
        finishIfDrained()
    }

    private func finishIfDrained() {
        guard sourceClosed, !finished, pending.isEmpty, inFlight.isEmpty else { return }
        // Half-close, so a reply can still come back the other way.
        destination.close(mode: .output, promise: nil)
        finish()
    }

    private func finish() {
        finished = true
        deliveryTimer?.cancel()
        deliveryTimer = nil
        retryTimer?.cancel()
        retryTimer = nil
        onFinished?()
        onFinished = nil
    }
}
