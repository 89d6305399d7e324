import Foundation

/// Who publishes a stream, for the operator: transport, peer address and since when.
public struct PublisherInfo: Sendable, Equatable {
    /// "rtmp" or "srt".
    public var transport: String
    /// The peer's address as the listener saw it (`[IPv4]127.0.0.1/127.0.0.1:50312`, `127.0.0.1:50312`).
    public var remote: String
    /// Wall clock of the publish.
    public var since: Date

    public init(transport: String, remote: String, since: Date = Date()) {
        self.transport = transport
        self.remote = remote
        self.since = since
    }
}

/// What a publisher sent over the last measured window (about 2 s).
public struct IngestRate: Sendable, Equatable {
    public var videoBitsPerSecond = 0
    public var audioBitsPerSecond = 0
    public var videoFramesPerSecond = 0.0
    public var bitsPerSecond: Int { videoBitsPerSecond + audioBitsPerSecond }
    public init() {}
}

/// Counts one publisher's units into ~2 s windows; the last full window is the rate.
struct IngestRateWindow {
    static let window: Duration = .seconds(2)
    /// A window this old means the publisher went quiet: the rate reads 0.
    static let stale: Duration = .seconds(5)

    var start: ContinuousClock.Instant?
    var videoBytes = 0
    var audioBytes = 0
    var videoFrames = 0
    var last = IngestRate()
    var lastAt: ContinuousClock.Instant?

    mutating func add(video: Bool, bytes: Int, now: ContinuousClock.Instant) {
        guard let started = start else {
            start = now
            return add(video: video, bytes: bytes, now: now)
        }
        if video { videoBytes += bytes; videoFrames += 1 } else { audioBytes += bytes }
        let elapsed = now - started
        guard elapsed >= Self.window else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        last.videoBitsPerSecond = Int(Double(videoBytes * 8) / seconds)
        last.audioBitsPerSecond = Int(Double(audioBytes * 8) / seconds)
        last.videoFramesPerSecond = (Double(videoFrames) / seconds * 100).rounded() / 100
        lastAt = now
        start = now
        videoBytes = 0; audioBytes = 0; videoFrames = 0
    }

    func rate(now: ContinuousClock.Instant) -> IngestRate {
        guard let lastAt, now - lastAt < Self.stale else { return IngestRate() }
        return last
    }
}
