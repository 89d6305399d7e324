import NIOCore

/// One part as the segmenter cut it: a moof+mdat fragment and its timing.
public struct CutPart: Sendable {
    public var data: ByteBuffer
    /// Seconds, from the driving track's timestamps.
    public var duration: Double
    /// The part begins with an IDR (always true for audio-only renditions).
    public var independent: Bool
    /// The part is the first of a new segment.
    public var startsSegment: Bool
    /// The part is the last of its segment (the segmenter saw the keyframe that starts the
    /// next): the timeline closes the segment with it, so a short last part is never listed
    /// as if more parts followed.
    public var endsSegment: Bool
    /// Ingest wall clock (µs since the epoch) of the part's first sample.
    public var wallClock: Int64
    /// Video samples in the part (for the measured frame rate).
    public var videoSamples: Int
    /// Set on the last part of a segment when legacy MPEG-TS output is on: the whole segment as TS.
    public var legacySegment: ByteBuffer?
    /// Presented span of the driving track, in seconds of its timeline: [start, end).
    public var start: Double = 0
    public var end: Double = 0
    /// Timed events carried (as emsg boxes before the moof) by this part.
    public var events: [TimedEvent] = []

    public init(data: ByteBuffer, duration: Double, independent: Bool, startsSegment: Bool,
                wallClock: Int64, videoSamples: Int = 0, legacySegment: ByteBuffer? = nil, endsSegment: Bool = false) {
        self.endsSegment = endsSegment
        self.data = data
        self.duration = duration
        self.independent = independent
        self.startsSegment = startsSegment
        self.wallClock = wallClock
        self.videoSamples = videoSamples
        self.legacySegment = legacySegment
    }
}
