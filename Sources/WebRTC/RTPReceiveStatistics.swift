/// What a receiver (WHIP) knows about one incoming RTP stream, for its receiver reports
/// (RFC 3550 appendix A.1, A.3, A.8) and NACKs: extended highest sequence, loss, interarrival
/// jitter, and the sequence numbers still missing (bounded).
public struct RTPReceiveStatistics: Sendable {
    public let ssrc: UInt32
    public let clockRate: UInt32
    /// At most this many missing sequence numbers are remembered (the oldest are forgotten).
    public let maxMissing: Int

    private var baseSequence: UInt32?
    private var cycles: UInt32 = 0
    private var maxSequence: UInt16 = 0
    public private(set) var received: UInt32 = 0
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt32 = 0
    private var transit: Int64?
    private var jitterQ4: Int64 = 0   // jitter × 16, as RFC 3550 A.8 keeps it
    private var lastSRMiddle: UInt32 = 0
    private var lastSRArrivalNanos: UInt64?
    public private(set) var missing: [UInt16] = []

    public init(ssrc: UInt32, clockRate: UInt32, maxMissing: Int = 256) {
        self.ssrc = ssrc
        self.clockRate = max(clockRate, 1)
        self.maxMissing = max(maxMissing, 1)
    }

    /// Counts a packet that arrived at `arrivalNanos` (any monotonic clock).
    public mutating func record(sequence: UInt16, rtpTimestamp: UInt32, arrivalNanos: UInt64) {
        received &+= 1
        if baseSequence == nil {
            baseSequence = UInt32(sequence)
            maxSequence = sequence
        } else if RTPSequence.isNewer(sequence, than: maxSequence) {
            let delta = sequence &- maxSequence
            // Gaps of up to 1000 packets are remembered for NACKs; a larger jump is a restart.
            if delta > 1, delta <= 1000 {
                var s = maxSequence &+ 1
                while s != sequence {
                    missing.append(s)
                    s &+= 1
                }
                if missing.count > maxMissing { missing.removeFirst(missing.count - maxMissing) }
            }
            if sequence < maxSequence { cycles &+= 1 }
            maxSequence = sequence
        } else if let i = missing.firstIndex(of: sequence) {
            missing.remove(at: i)   // a retransmission or a late packet filled a hole
        }
        // Interarrival jitter in RTP units (A.8).
        let arrival = Int64(truncatingIfNeeded: arrivalNanos / 1000) &* Int64(clockRate) / 1_000_000
        // Both clocks wrap: compare them modulo 2^32, as RTP timestamps do.
        let t = Int64(Int32(truncatingIfNeeded: arrival &- Int64(rtpTimestamp)))
        if let previous = transit {
            let d = min(abs(t &- previous), Int64(UInt32.max))
            jitterQ4 += d - (jitterQ4 + 8) / 16
            jitterQ4 = max(jitterQ4, 0)
        }
        transit = t
    }

    /// The missing numbers to NACK now (and forgets them: one NACK per loss).
    public mutating func takeMissing() -> [UInt16] {
        defer { missing = [] }
        return missing
    }

    /// Remembers a sender report's NTP time for the LSR/DLSR fields.
    public mutating func recordSenderReport(ntpTimestamp: UInt64, arrivalNanos: UInt64) {
        lastSRMiddle = UInt32(truncatingIfNeeded: ntpTimestamp >> 16)
        lastSRArrivalNanos = arrivalNanos
    }

    public var extendedHighestSequence: UInt32 { cycles << 16 | UInt32(maxSequence) }

    public var jitter: UInt32 { UInt32(clamping: jitterQ4 / 16) }

    /// The report block for now; updates the interval counters for the next fraction lost.
    public mutating func reportBlock(nowNanos: UInt64) -> RTCPReportBlock {
        let base = baseSequence ?? 0
        let expected = extendedHighestSequence &- base &+ 1
        let lost = Int64(expected) - Int64(received)
        let expectedInterval = expected &- expectedPrior
        let receivedInterval = received &- receivedPrior
        expectedPrior = expected
        receivedPrior = received
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        let fraction: UInt8 = expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(min(255, (lostInterval << 8) / Int64(expectedInterval)))
        var dlsr: UInt32 = 0
        if let at = lastSRArrivalNanos, nowNanos >= at {
            dlsr = UInt32(clamping: (nowNanos - at) / 1000 * 65536 / 1_000_000)
        }
        return RTCPReportBlock(ssrc: ssrc, fractionLost: fraction, cumulativeLost: Int32(clamping: min(max(lost, -0x80_0000), 0x7F_FFFF)),
                               highestSequence: extendedHighestSequence, jitter: jitter, lastSR: lastSRMiddle, delaySinceLastSR: dlsr)
    }
}
