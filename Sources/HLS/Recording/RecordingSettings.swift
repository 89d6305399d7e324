/// How the recorder writes and prunes (from the configuration's `recording` section).
public struct RecordingSettings: Sendable, Equatable {
    /// Root of every recording: `<directory>/<stream path>/<recording id>/`.
    public var directory: String
    /// Renditions recorded (empty: all).
    public var renditions: [String]
    /// Recordings older than this are removed (0: kept).
    public var maxAgeSeconds: Double
    /// The oldest recordings are removed while all together exceed this (0: no limit).
    public var maxTotalBytes: Int64
    /// An unfinished recording (the server was killed) whose last write is younger than this is
    /// continued by the next publish of its path, after EXT-X-DISCONTINUITY; an older one is
    /// closed (ENDLIST) and a new one starts.
    public var resumeWindowSeconds: Double
    /// Bytes of completed segments waiting for the disk thread; beyond it a segment is dropped
    /// (counted; the next one gets EXT-X-DISCONTINUITY), the packager never waits.
    public var queueBytes: Int
    /// EXT-X-TARGETDURATION at least (the live stream's).
    public var targetDuration: Int
    /// Seconds between retention passes.
    public var retentionIntervalSeconds: Double

    public init(directory: String, renditions: [String] = [], maxAgeSeconds: Double = 0, maxTotalBytes: Int64 = 0,
                resumeWindowSeconds: Double = 600, queueBytes: Int = 64 << 20, targetDuration: Int = 2,
                retentionIntervalSeconds: Double = 30) {
        self.directory = directory
        self.renditions = renditions
        self.maxAgeSeconds = maxAgeSeconds
        self.maxTotalBytes = maxTotalBytes
        self.resumeWindowSeconds = resumeWindowSeconds
        self.queueBytes = max(1 << 20, queueBytes)
        self.targetDuration = max(1, targetDuration)
        self.retentionIntervalSeconds = max(1, retentionIntervalSeconds)
    }
}
