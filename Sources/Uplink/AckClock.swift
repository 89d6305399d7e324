/// RTMP Acknowledgements as an end-to-end delay and delivery signal. We ask the server (Window
/// Acknowledgement Size) to acknowledge every `window` bytes it receives; each acknowledgement
/// names the running byte count, and we know when that byte was written. That is the one signal
/// a TCP sender has that sees a queue behind a terminating middlebox (a relay, a proxy, `sluice
/// shape`), where the socket's own RTT and SIOCOUTQ see nothing until it is full.
///
/// Pure: times are passed in. Byte positions count everything written on the connection,
/// handshake included, as the server counts what it receives.
struct AckClock: Sendable {
    let window: Int
    /// When the running total first reached each written total (one entry per write).
    private var log: [(time: Double, total: Int)] = []
    private(set) var written = 0
    private(set) var acked: Int?
    /// (time, acked position) of recent acknowledgements, for the delivery rate.
    private var acks: [(time: Double, position: Int)] = []
    private var lastDelayMs: Double?
    static let maxLog = 65_536

    init(window: Int) { self.window = window }

    mutating func wrote(total: Int, at time: Double) {
        guard total > written else { return }
        written = total
        log.append((time, total))
        if log.count > Self.maxLog { log.removeFirst(log.count - Self.maxLog) }
    }

    /// When byte `position` was written (nil if it was not, or is no longer logged).
    private func writeTime(of position: Int) -> Double? {
        var lo = 0, hi = log.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if log[mid].total >= position { hi = mid } else { lo = mid + 1 }
        }
        return lo < log.count ? log[lo].time : nil
    }

    /// An Acknowledgement's 32-bit sequence number, unwrapped against what we wrote.
    mutating func acknowledged(sequence: UInt32, at time: Double) {
        let behind = Int(UInt32(truncatingIfNeeded: written) &- sequence)
        let position = written - behind
        guard position > 0, position >= (acked ?? 0) else { return }
        acked = position
        if let sent = writeTime(of: position) { lastDelayMs = max(0, time - sent) * 1000 }
        acks.append((time, position))
        acks.removeAll { time - $0.time > 2 }
        // Entries below the acknowledged position are never asked for again.
        if let keep = log.firstIndex(where: { $0.total >= position }), keep > 0 { log.removeFirst(keep) }
    }

    /// The delay of the newest acknowledged byte (write to acknowledgement: one way, the queues
    /// on the way, the way back), raised while the next acknowledgement is overdue: the byte it
    /// will name was written at least `now - that write` ago. nil before the first one.
    func delayMs(at now: Double) -> Double? {
        guard let lastDelayMs, let acked else { return nil }
        guard written >= acked + window, let next = writeTime(of: acked + window) else { return lastDelayMs }
        return max(lastDelayMs, (now - next) * 1000)
    }

    /// kbit/s acknowledged between the newest acknowledgement and the latest one at least `span`
    /// seconds older (exact from ack to ack, no window quantisation).
    func deliveryKbps(span: Double) -> Double? {
        guard let newest = acks.last, let from = acks.last(where: { newest.time - $0.time >= span }) else { return nil }
        return Double(newest.position - from.position) * 8 / 1000 / (newest.time - from.time)
    }
}
