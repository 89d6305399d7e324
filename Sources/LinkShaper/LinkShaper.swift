/// One direction of an emulated link, as pure state driven by the caller's clock: a drop-tail
/// FIFO queue in front of a bottleneck whose capacity follows a `LinkSchedule`, then propagation
/// delay with jitter, then loss. `offer(bytes:at:)` says when a packet reaches the far side (or
/// that it is lost or the queue is full); the caller does the waiting. Offers must come in
/// non-decreasing time.
///
/// The queue is exact for a work-conserving FIFO: the link has served `servedBits` of its
/// cumulative capacity curve; a packet starts when the link is free (`max(servedBits, C(t))`:
/// capacity unused while the queue was empty is gone) and leaves when the curve covers it.
public struct LinkShaper: Sendable {
    public let configuration: LinkShaperConfiguration
    private var generator: SeededGenerator
    private var burst: GilbertElliott?
    private var servedBits = 0.0
    private var lastArrival = -Double.infinity
    /// Byte-stream packets held back for a "retransmission" so far.
    public private(set) var retransmissions = 0

    public init(_ configuration: LinkShaperConfiguration) {
        self.configuration = configuration
        generator = SeededGenerator(seed: configuration.seed)
        burst = configuration.burstLoss
    }

    public var schedule: LinkSchedule { configuration.schedule }

    /// Bits queued (or being sent) at `t`.
    public func backlogBits(at t: Double) -> Double {
        schedule.isUnlimited ? 0 : max(0, servedBits - schedule.cumulativeBits(at: t))
    }

    /// The queue's size at `t`: `--queue` seconds at the current rate, at least `minimumQueueBytes`.
    public func queueLimitBits(at t: Double) -> Double {
        if schedule.isUnlimited { return .infinity }
        return max(Double(configuration.minimumQueueBytes * 8), schedule.rate(at: t) * configuration.queueSeconds)
    }

    /// How long a packet of 0 bytes offered at `t` would wait: the time to drain the backlog.
    public func queueDelay(at t: Double) -> Double {
        schedule.isUnlimited ? 0 : max(0, schedule.time(whenCumulativeBitsReach: servedBits) - t)
    }

    /// The earliest time after `t` at which a packet of `bytes` may fit in the queue, if the
    /// rate does not change before then (a byte stream's reader retries then).
    public func admissionTime(bytes: Int, after t: Double) -> Double {
        if schedule.isUnlimited { return t }
        let needed = servedBits + Double(bytes * 8) - queueLimitBits(at: t)
        return max(t, schedule.time(whenCumulativeBitsReach: needed))
    }

    public mutating func offer(bytes: Int, at t: Double) -> ShaperVerdict {
        let bits = Double(max(0, bytes) * 8)
        let leaves: Double
        if schedule.isUnlimited {
            leaves = t
        } else {
            guard backlogBits(at: t) + bits <= queueLimitBits(at: t) else { return .queueFull }
            servedBits = max(servedBits, schedule.cumulativeBits(at: t)) + bits
            leaves = max(t, schedule.time(whenCumulativeBitsReach: servedBits))
        }
        // Draws in a fixed order, whatever the outcome, so a seed gives one sequence.
        var lost = false
        if var chain = burst {
            lost = chain.step(draw: generator.unit())
            burst = chain
        }
        if configuration.loss > 0, generator.unit() < configuration.loss { lost = true }
        var propagation = configuration.delay
        if configuration.jitter > 0 { propagation += (generator.unit() * 2 - 1) * configuration.jitter }
        var arrives = leaves + max(0, propagation)

        guard let retransmit = configuration.streamRetransmitDelay else {
            return lost ? .lost(leavesQueue: leaves) : .deliver(arrives: arrives, leavesQueue: leaves)
        }
        if lost {
            arrives += retransmit
            retransmissions += 1
        }
        arrives = max(arrives, lastArrival)
        lastArrival = arrives
        return .deliver(arrives: arrives, leavesQueue: leaves)
    }
}
