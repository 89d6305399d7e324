/// What a live player knows when it picks the rendition of its next part or segment.
/// Every field is plain numbers so a JavaScript player can fill it the same way (Docs/ABR.md).
public struct LiveInput: Sendable, Equatable, Codable {
    /// The renditions' bitrates, kbit/s, lowest first.
    public var bitratesKbps: [Double]
    /// The level of the last part requested.
    public var currentLevel: Int
    /// Media buffered ahead of the playhead, seconds.
    public var bufferSeconds: Double
    /// Live-edge latency now, seconds.
    public var latencySeconds: Double
    /// The latency the player aims for, seconds.
    public var targetLatencySeconds: Double
    /// Duration of the next part (or segment), seconds.
    public var partSeconds: Double
    /// Recent downloads, oldest first (a player keeps the last 8 or so).
    public var samples: [DownloadSample]

    public init(bitratesKbps: [Double], currentLevel: Int, bufferSeconds: Double, latencySeconds: Double,
                targetLatencySeconds: Double, partSeconds: Double, samples: [DownloadSample]) {
        self.bitratesKbps = bitratesKbps
        self.currentLevel = currentLevel
        self.bufferSeconds = bufferSeconds
        self.latencySeconds = latencySeconds
        self.targetLatencySeconds = targetLatencySeconds
        self.partSeconds = partSeconds
        self.samples = samples
    }
}

/// A live ABR decision: the level of the next request and the playback rate until the next decision.
public struct LiveDecision: Sendable, Equatable, Codable {
    public var level: Int
    public var playbackRate: Double

    public init(level: Int, playbackRate: Double) {
        self.level = level
        self.playbackRate = playbackRate
    }
}

/// A live ABR policy, called once per part or segment request.
public protocol LivePolicy {
    var name: String { get }
    mutating func decide(_ input: LiveInput) -> LiveDecision
}
