import NIOCore
import WebRTC

/// One WebRTC peer on the transport's UDP port. Its ICE, DTLS and SRTP state lives on the
/// transport's event loop (`PeerState`); this handle is what other threads hold: they send
/// through a bounded queue that the loop drains, and read stats.
public final class PeerConnection: Sendable {
    /// 32 random hex digits.
    public let id: String
    public let session: NegotiatedSession
    let transport: TransportCore
    /// Cleared once `peerClosed` was delivered, which breaks the session ↔ peer cycle.
    private let delegateBox: TransportMutex<(any PeerConnectionDelegate)?>
    private let sendState: TransportMutex<SendState>
    private let statsBox = TransportMutex(PeerStats())

    struct Pending {
        var packet: [UInt8]
        var rtcp: Bool
    }

    struct SendState {
        var connected = false
        var closed = false
        var queue: [Pending] = []
        var pendingBytes = 0
        var flushScheduled = false
        var tokens: Double
        var lastRefill: NIODeadline
    }

    init(id: String, session: NegotiatedSession, delegate: any PeerConnectionDelegate, transport: TransportCore) {
        self.id = id
        self.session = session
        self.transport = transport
        delegateBox = TransportMutex(delegate)
        sendState = TransportMutex(SendState(tokens: Double(transport.limits.maxSendBytesPerSecond), lastRefill: .now()))
    }

    public var stats: PeerStats { statsBox.withLock { $0 } }

    /// SRTP-protects and writes on the event loop. False (and counted as dropped) before DTLS is
    /// done, after close, when the socket is not writable, or when this peer already has its cap
    /// of bytes waiting or has used its send rate: the packet is dropped, never queued unbounded.
    public func sendRTP(_ packet: [UInt8]) -> Bool { enqueue(packet, rtcp: false) }
    public func sendRTCP(_ packet: [UInt8]) -> Bool { enqueue(packet, rtcp: true) }

    /// Ends the session (DTLS close_notify to the peer); `peerClosed` follows on the loop.
    public func close(reason: String) {
        sendState.withLock { $0.closed = true; $0.queue.removeAll(); $0.pendingBytes = 0 }
        transport.execute { engine in engine.close(id: self.id, reason: reason) }
    }

    // MARK: - sending

    private func enqueue(_ packet: [UInt8], rtcp: Bool) -> Bool {
        let limits = transport.limits
        let size = packet.count
        guard size >= (rtcp ? 8 : 12), size + SRTPSession.maxTrailer <= max(limits.maxDatagramSize, 1500) else {
            updateStats { $0.packetsDropped += 1 }
            return false
        }
        let writable = transport.isWritable
        let (accepted, schedule) = sendState.withLock { s -> (Bool, Bool) in
            guard s.connected, !s.closed, writable else { return (false, false) }
            if limits.maxSendBytesPerSecond > 0 {
                let now = NIODeadline.now()
                let rate = Double(limits.maxSendBytesPerSecond)
                let elapsed = Double((now - s.lastRefill).nanoseconds) / 1e9
                s.tokens = min(rate, s.tokens + max(0, elapsed) * rate)
                s.lastRefill = now
                guard s.tokens >= Double(size) else { return (false, false) }
                s.tokens -= Double(size)
            }
            guard s.pendingBytes + size <= limits.maxPendingBytesPerPeer else { return (false, false) }
            s.queue.append(Pending(packet: packet, rtcp: rtcp))
            s.pendingBytes += size
            if s.flushScheduled { return (true, false) }
            s.flushScheduled = true
            return (true, true)
        }
        if !accepted { updateStats { $0.packetsDropped += 1 } }
        if schedule { transport.execute { engine in engine.flush(self) } }
        return accepted
    }

    /// On the loop: everything queued, in order.
    func takePending() -> [Pending] {
        sendState.withLock { s in
            var out: [Pending] = []
            swap(&out, &s.queue)
            s.pendingBytes = 0
            s.flushScheduled = false
            return out
        }
    }

    // MARK: - called by the transport's loop

    func markConnected() {
        sendState.withLock { $0.connected = true }
        updateStats { $0.state = .connected }
    }

    func markClosed() {
        sendState.withLock { $0.closed = true; $0.queue.removeAll(); $0.pendingBytes = 0 }
        updateStats { $0.state = .closed }
    }

    func updateStats(_ body: (inout PeerStats) -> Void) { statsBox.withLock { body(&$0) } }

    var delegate: (any PeerConnectionDelegate)? { delegateBox.withLock { $0 } }

    /// The delegate, taken away so it is told about the close exactly once.
    func takeDelegate() -> (any PeerConnectionDelegate)? { delegateBox.withLock { d in defer { d = nil }; return d } }
}
