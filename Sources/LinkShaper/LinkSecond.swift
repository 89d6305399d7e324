/// One line of `--stats`: what one direction of the link did in one interval (normally 1 s).
public struct LinkSecond: Sendable, Equatable, Codable {
    /// Seconds since the shaper started, at the end of the interval.
    public var t: Double
    /// "up" (client → target) or "down".
    public var dir: String
    /// Bytes handed to the far side in the interval, as Mbit/s.
    public var deliveredMbps: Double
    /// Bytes offered by the near side (accepted or not), as Mbit/s.
    public var offeredMbps: Double
    /// The schedule's capacity over the interval, Mbit/s; nil when unlimited.
    public var capacityMbps: Double?
    /// Mean and max time packets offered in the interval spent in the queue and on the bottleneck, ms.
    public var queueDelayMs: Double
    public var queueDelayMaxMs: Double
    /// Queued bytes at the end of the interval.
    public var backlogBytes: Int
    /// Packets dropped by the full queue (datagrams only: a byte stream waits instead).
    public var drops: Int
    /// Packets lost on the link (datagrams), or held back for a "retransmission" (byte streams).
    public var lost: Int

    enum CodingKeys: String, CodingKey {
        case t, dir
        case deliveredMbps = "delivered_mbps"
        case offeredMbps = "offered_mbps"
        case capacityMbps = "capacity_mbps"
        case queueDelayMs = "queue_delay_ms"
        case queueDelayMaxMs = "queue_delay_max_ms"
        case backlogBytes = "backlog_bytes"
        case drops, lost
    }
}
