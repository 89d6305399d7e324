/// Timing of one stream's LL-HLS output. Fixed for the life of the stream: players fail on a
/// PART-TARGET or target duration that changes between reloads.
public struct HLSConfiguration: Sendable, Equatable {
    /// PART-TARGET in seconds. 0.25 s: the player holds back 3 parts (0.75 s), and at 30 fps
    /// a part is 7 frames (0.233 s ≥ 85 %), so parts stay regular at 24–60 fps.
    public var partTarget: Double
    /// EXT-X-TARGETDURATION (whole seconds). Segments start at keyframes; a GOP of 1–2 s fits 2.
    public var targetDuration: Int
    /// A keyframe starts a new segment once the current one is at least this long (seconds).
    public var segmentMinimum: Double
    /// Seconds of media listed in each playlist (at least 3× target duration; longer than the
    /// skip boundary so delta updates pay off).
    public var playlistWindow: Double
    /// Also write every segment as MPEG-TS (`legacy.m3u8`, `seg<N>.ts`) for players without
    /// fMP4 support. Costs a second muxer per rendition.
    public var legacyTS: Bool
    /// Players start with the first variant of the multivariant playlist (hls.js, AVPlayer).
    /// Listed first: the best variant whose measured average bitrate fits this (bits/s), else
    /// the lightest; a viewer on a phone should not stall on the source's bitrate before its
    /// player has measured the network. nil keeps the source first.
    public var startBandwidth: Int?
    /// Bytes of media one rendition keeps (parts and segments, oldest dropped first). Retention
    /// is by media time; this bound holds when a publisher's timestamps do not advance or its
    /// frames are huge. 128 MiB keeps 26 s at 40 Mbit/s.
    public var maxRetainedBytes: Int
    /// Segments one rendition keeps, whatever their duration (normal streams keep ≤ 60).
    public var maxRetainedSegments: Int
    /// PART-HOLD-BACK in parts: how far behind the live edge LL-HLS players aim (hls.js's
    /// target latency). The spec's floor is 2; 3 is its "should" (Docs/Benchmarks.md,
    /// "Glass-to-glass in real players", measures both).
    public var partHoldBackParts: Double = 3

    public init(partTarget: Double = 0.25, targetDuration: Int = 2, segmentMinimum: Double = 0.5,
                playlistWindow: Double = 20, legacyTS: Bool = false, startBandwidth: Int? = 3_500_000,
                maxRetainedBytes: Int = 128 << 20, maxRetainedSegments: Int = 128) {
        self.maxRetainedBytes = max(1 << 20, maxRetainedBytes)
        self.maxRetainedSegments = max(4, maxRetainedSegments)
        self.legacyTS = legacyTS
        self.startBandwidth = startBandwidth
        self.partTarget = partTarget
        self.targetDuration = max(1, targetDuration)
        self.segmentMinimum = segmentMinimum
        self.playlistWindow = max(playlistWindow, 3 * Double(max(1, targetDuration)))
    }

    /// PART-HOLD-BACK: `partHoldBackParts` parts, never below the spec's 2 (a player must not
    /// fetch a part that is still being cut).
    public var partHoldBack: Double { max(2, partHoldBackParts.isFinite ? partHoldBackParts : 3) * partTarget }
    /// HOLD-BACK for players without LL support: 3 target durations.
    public var holdBack: Double { 3 * Double(targetDuration) }
    /// CAN-SKIP-UNTIL: the minimum the spec allows (6 target durations).
    public var skipUntil: Double { 6 * Double(targetDuration) }
    /// A blocking request not satisfied within this answers 503.
    public var blockTimeout: Double { 3 * Double(targetDuration) }
    /// Parts are listed for segments in the last this-many seconds of the playlist.
    public var partListing: Double { 3 * Double(targetDuration) }
    /// Media that left the playlist stays downloadable this long (media time) before eviction.
    public var retention: Double { 3 * Double(targetDuration) }
    /// A part closes before a sample that would take it past this many bytes or samples, and a
    /// segment starts once it has this many parts or bytes, whatever the timestamps say: a
    /// source whose timestamps do not advance is still cut into bounded pieces.
    public var maxPartBytes: Int { maxRetainedBytes / 32 }
    public var maxPartSamples: Int { 128 }
    public var maxSegmentBytes: Int { maxRetainedBytes / 8 }
    public var maxSegmentParts: Int { max(8, Int(4 * Double(targetDuration) / partTarget)) }
    /// Closed parts waiting for late audio; beyond this they go out without it.
    public var maxWaitingParts: Int { 16 }
}
