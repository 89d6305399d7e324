/// What a chunk-level (VoD) policy sees after each download in the trace-driven simulator:
/// the same state Pensieve's test scripts pass to their algorithms.
public struct ChunkContext: Sendable {
    public var bitratesKbps: [Double]
    public var chunkSeconds: Double
    public var bufferCapSeconds: Double
    /// Level of the chunk just downloaded.
    public var lastLevel: Int
    /// Buffer after that download, seconds.
    public var bufferSeconds: Double
    /// Index of the chunk to choose now.
    public var nextIndex: Int
    public var totalChunks: Int
    /// The chunk just downloaded: bytes and request-to-last-byte time including the RTT.
    public var lastBytes: Double
    public var lastDownloadSeconds: Double
    public var lastRebufferSeconds: Double
    /// Request → first byte of the chunk just downloaded (the RTT in the simulator).
    public var lastFirstByteSeconds: Double
    /// Sizes of every chunk, `sizes[level][index]` bytes (a player knows them from the manifest).
    public var sizes: ChunkSizes

    public init(bitratesKbps: [Double], chunkSeconds: Double, bufferCapSeconds: Double, lastLevel: Int,
                bufferSeconds: Double, nextIndex: Int, totalChunks: Int, lastBytes: Double,
                lastDownloadSeconds: Double, lastRebufferSeconds: Double, lastFirstByteSeconds: Double, sizes: ChunkSizes) {
        self.bitratesKbps = bitratesKbps
        self.chunkSeconds = chunkSeconds
        self.bufferCapSeconds = bufferCapSeconds
        self.lastLevel = lastLevel
        self.bufferSeconds = bufferSeconds
        self.nextIndex = nextIndex
        self.totalChunks = totalChunks
        self.lastBytes = lastBytes
        self.lastDownloadSeconds = lastDownloadSeconds
        self.lastRebufferSeconds = lastRebufferSeconds
        self.lastFirstByteSeconds = lastFirstByteSeconds
        self.sizes = sizes
    }

    /// Throughput of the last download, Mbit/s (bytes over the whole request time, as Pensieve measures).
    public var lastThroughputMbps: Double {
        lastDownloadSeconds > 0 ? lastBytes * 8 / lastDownloadSeconds / 1e6 : 0
    }
}

/// A chunk-level policy: `reset()` before each trace, `next(_:)` after each chunk.
public protocol ChunkPolicy {
    var name: String { get }
    mutating func reset()
    mutating func next(_ context: ChunkContext) -> Int
}
