/// The `--stats` file's last line and the exit summary for one direction.
public struct LinkSummary: Sendable, Equatable, Codable {
    public var dir: String
    public var seconds: Double
    public var deliveredBytes: Int
    public var deliveredMbps: Double
    /// Mean capacity over the run, Mbit/s; nil when unlimited.
    public var capacityMbps: Double?
    public var queueDelayMeanMs: Double
    public var queueDelayMaxMs: Double
    public var packets: Int
    public var drops: Int
    public var lost: Int

    enum CodingKeys: String, CodingKey {
        case dir, seconds, packets, drops, lost
        case deliveredBytes = "delivered_bytes"
        case deliveredMbps = "delivered_mbps"
        case capacityMbps = "capacity_mbps"
        case queueDelayMeanMs = "queue_delay_mean_ms"
        case queueDelayMaxMs = "queue_delay_max_ms"
    }
}
