/// Counts what one direction of the link does, for per-second `LinkSecond` lines and a
/// `LinkSummary` at the end. Pure: the relay feeds it verdicts and deliveries with its clock.
public struct LinkMeter: Sendable {
    public let direction: String
    private let schedule: LinkSchedule
    private let start: Double
    private var intervalStart: Double
    private var interval = Counts()
    private var total = Counts()

    struct Counts: Sendable {
        var offeredBytes = 0
        var deliveredBytes = 0
        var packets = 0
        var queueDelaySum = 0.0
        var queueDelayMax = 0.0
        var drops = 0
        var lost = 0
    }

    public init(direction: String, schedule: LinkSchedule, start: Double) {
        self.direction = direction
        self.schedule = schedule
        self.start = start
        intervalStart = start
    }

    /// A packet of `bytes` offered at `t` and what the link did with it.
    public mutating func record(_ verdict: ShaperVerdict, bytes: Int, at t: Double) {
        var sojourn: Double?
        switch verdict {
        case let .deliver(_, leaves): sojourn = leaves - t
        case let .lost(leaves): sojourn = leaves - t; interval.lost += 1; total.lost += 1
        case .queueFull: interval.drops += 1; total.drops += 1
        }
        interval.offeredBytes += bytes
        total.offeredBytes += bytes
        if let sojourn {
            interval.add(sojourn: sojourn)
            total.add(sojourn: sojourn)
        }
    }

    /// A byte stream's packet that was held back for a retransmission (it is still delivered).
    public mutating func recordRetransmit() {
        interval.lost += 1
        total.lost += 1
    }

    /// Bytes handed to the far side.
    public mutating func delivered(bytes: Int) {
        interval.deliveredBytes += bytes
        total.deliveredBytes += bytes
    }

    /// Closes the interval at `t`: its line, and a fresh interval.
    public mutating func sample(at t: Double, backlogBits: Double) -> LinkSecond {
        let seconds = max(t - intervalStart, 1e-9)
        let capacity = schedule.isUnlimited ? nil
            : Self.round((schedule.cumulativeBits(at: t - start) - schedule.cumulativeBits(at: intervalStart - start)) / seconds / 1e6)
        let line = LinkSecond(
            t: Self.round(t - start), dir: direction,
            deliveredMbps: Self.round(Double(interval.deliveredBytes * 8) / seconds / 1e6),
            offeredMbps: Self.round(Double(interval.offeredBytes * 8) / seconds / 1e6),
            capacityMbps: capacity,
            queueDelayMs: Self.round(interval.packets > 0 ? interval.queueDelaySum / Double(interval.packets) * 1000 : 0),
            queueDelayMaxMs: Self.round(interval.queueDelayMax * 1000),
            backlogBytes: Int(backlogBits / 8),
            drops: interval.drops, lost: interval.lost)
        interval = Counts()
        intervalStart = t
        return line
    }

    public func summary(at t: Double) -> LinkSummary {
        let seconds = max(t - start, 1e-9)
        let capacity = schedule.isUnlimited ? nil : Self.round(schedule.cumulativeBits(at: seconds) / seconds / 1e6)
        return LinkSummary(
            dir: direction, seconds: Self.round(seconds), deliveredBytes: total.deliveredBytes,
            deliveredMbps: Self.round(Double(total.deliveredBytes * 8) / seconds / 1e6),
            capacityMbps: capacity,
            queueDelayMeanMs: Self.round(total.packets > 0 ? total.queueDelaySum / Double(total.packets) * 1000 : 0),
            queueDelayMaxMs: Self.round(total.queueDelayMax * 1000),
            packets: total.packets, drops: total.drops, lost: total.lost)
    }

    /// Three decimals: enough for Mbit/s and ms, and stable text in the stats file.
    static func round(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }
}

extension LinkMeter.Counts {
    mutating func add(sojourn: Double) {
        packets += 1
        queueDelaySum += sojourn
        queueDelayMax = max(queueDelayMax, sojourn)
    }
}
