/// What the API reports about one recording (running ones from memory, others from disk).
public struct RecordingStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        /// Segments are being written.
        case recording
        /// ENDLIST written.
        case finished
        /// A write failed (disk full, unwritable directory): recording stopped, live HLS goes on.
        case failed
        /// No ENDLIST and nobody writing: the server stopped without closing it (a crash); the
        /// next publish of the path continues it within the resume window.
        case unfinished
    }
    public var path: String
    public var id: String
    public var state: State
    /// `/recordings/<path>/<id>/index.m3u8`.
    public var url: String
    public var renditions: [String]
    public var segments: Int
    public var bytes: Int64
    /// Media seconds (of the longest rendition).
    public var durationSeconds: Double
    /// Segments the disk thread could not take in time (queue full).
    public var droppedSegments: Int
    public var error: String?

    public init(path: String, id: String, state: State, renditions: [String] = [], segments: Int = 0, bytes: Int64 = 0,
                durationSeconds: Double = 0, droppedSegments: Int = 0, error: String? = nil) {
        self.path = path
        self.id = id
        self.state = state
        self.url = "/recordings/\(path)/\(id)/index.m3u8"
        self.renditions = renditions
        self.segments = segments
        self.bytes = bytes
        self.durationSeconds = durationSeconds
        self.droppedSegments = droppedSegments
        self.error = error
    }
}
