import Bitstream
import FFmpegBridge

/// A picture for one rung's encoder, with what must survive encoding: the keyframe decision,
/// the source frame's ingest wall clock and its user-data SEI messages.
struct RungFrame: Sendable {
    /// pts already in the output timebase; the decode thread no longer touches it.
    var frame: Frame
    var isKeyframe: Bool
    var ingestWallClock: Int64
    var sei: [SEIMessage]
}
