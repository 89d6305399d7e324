import ABR

/// One live ABR decision with its input, as JSON: what `sluice probe --abr --record` writes
/// and the Swift/JavaScript parity check replays (the JavaScript port reads the same field
/// names, Sources/Origin/Player/sluice-abr.js).
public struct ABRDecisionRecord: Codable, Sendable, Equatable {
    public struct Sample: Codable, Sendable, Equatable {
        public var bytes: Double
        public var firstByteMs: Double
        public var transferMs: Double
        public var mediaSeconds: Double
    }

    public var bitratesKbps: [Double]
    public var currentLevel: Int
    public var bufferSeconds: Double
    public var latencySeconds: Double
    public var targetLatencySeconds: Double
    public var partSeconds: Double
    public var samples: [Sample]
    /// The decision the recording policy made (nil in hand-written inputs).
    public var level: Int?
    public var playbackRate: Double?

    public init(_ input: LiveInput, _ decision: LiveDecision? = nil) {
        bitratesKbps = input.bitratesKbps
        currentLevel = input.currentLevel
        bufferSeconds = input.bufferSeconds
        latencySeconds = input.latencySeconds
        targetLatencySeconds = input.targetLatencySeconds
        partSeconds = input.partSeconds
        samples = input.samples.map {
            Sample(bytes: $0.bytes, firstByteMs: $0.firstByteMs, transferMs: $0.transferMs, mediaSeconds: $0.mediaSeconds)
        }
        level = decision?.level
        playbackRate = decision?.playbackRate
    }

    public var input: LiveInput {
        LiveInput(bitratesKbps: bitratesKbps, currentLevel: currentLevel, bufferSeconds: bufferSeconds, latencySeconds: latencySeconds,
                  targetLatencySeconds: targetLatencySeconds, partSeconds: partSeconds,
                  samples: samples.map { DownloadSample(bytes: $0.bytes, firstByteMs: $0.firstByteMs, transferMs: $0.transferMs,
                                                        mediaSeconds: $0.mediaSeconds) })
    }
}
