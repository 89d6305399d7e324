/// A snapshot of a session's counters and per-stage timings (CPU seconds the stage's thread
/// spent in the codec calls: decode, scale, encode).
public struct TranscodeStats: Sendable, Equatable {
    public var videoUnitsIn = 0
    public var audioUnitsIn = 0
    /// Input lost before decoding (live: the session's input queue overflowed).
    public var inputDropped = 0
    /// Video units not decoded because they were older than `maxInputLag` (live catch-up).
    public var videoUnitsSkippedLate = 0
    public var framesDecoded = 0
    public var decodeSeconds = 0.0
    public var audioDecodeSeconds = 0.0
    /// Frames the decoder could not use (non-monotonic timestamps after a discontinuity...).
    public var framesDiscarded = 0
    /// Video rungs, largest first.
    public var rungs: [RungStats] = []
    public var audio: [AudioRenditionStats] = []

    public init() {}

    public func rung(_ name: String) -> RungStats? { rungs.first { $0.name == name } }
    public var scaleSeconds: Double { rungs.reduce(0) { $0 + $1.scaleSeconds } }
    public var encodeSeconds: Double { rungs.reduce(0) { $0 + $1.encodeSeconds } }
}
