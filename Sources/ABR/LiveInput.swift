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
    /// Parts the decision commits to: 1 for a player that picks a level per part; hls.js keeps a
    /// level for a whole segment (it switches at independent parts), so its controller passes the
    /// parts of a segment.
    public var commitParts: Int
    /// Extra seconds before the first part of a different level (hls.js loads that level's playlist
    /// first); 0 when a switch costs nothing.
    public var switchSeconds: Double

    public init(bitratesKbps: [Double], currentLevel: Int, bufferSeconds: Double, latencySeconds: Double,
                targetLatencySeconds: Double, partSeconds: Double, samples: [DownloadSample],
                commitParts: Int = 1, switchSeconds: Double = 0) {
        self.bitratesKbps = bitratesKbps
        self.currentLevel = currentLevel
        self.bufferSeconds = bufferSeconds
        self.latencySeconds = latencySeconds
        self.targetLatencySeconds = targetLatencySeconds
        self.partSeconds = partSeconds
        self.samples = samples
        self.commitParts = commitParts
        self.switchSeconds = switchSeconds
    }

    enum CodingKeys: String, CodingKey {
        case bitratesKbps, currentLevel, bufferSeconds, latencySeconds, targetLatencySeconds, partSeconds, samples
        case commitParts, switchSeconds
    }

    // Records made before commitParts/switchSeconds existed decode with their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(bitratesKbps: try c.decode([Double].self, forKey: .bitratesKbps),
                  currentLevel: try c.decode(Int.self, forKey: .currentLevel),
                  bufferSeconds: try c.decode(Double.self, forKey: .bufferSeconds),
                  latencySeconds: try c.decode(Double.self, forKey: .latencySeconds),
                  targetLatencySeconds: try c.decode(Double.self, forKey: .targetLatencySeconds),
                  partSeconds: try c.decode(Double.self, forKey: .partSeconds),
                  samples: try c.decode([DownloadSample].self, forKey: .samples),
                  commitParts: try c.decodeIfPresent(Int.self, forKey: .commitParts) ?? 1,
                  switchSeconds: try c.decodeIfPresent(Double.self, forKey: .switchSeconds) ?? 0)
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
