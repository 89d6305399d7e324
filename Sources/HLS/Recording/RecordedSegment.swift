/// One segment of a recorded rendition, as its VOD playlist lists it.
public struct RecordedSegment: Sendable, Equatable {
    /// The recording's own sequence number (`seg-<msn>.m4s`): it continues across restarts.
    public var msn: Int
    public var duration: Double
    /// EXT-X-PROGRAM-DATE-TIME, µs since the epoch.
    public var programDateTime: Int64
    public var discontinuity: Bool
    /// `init-<initIndex>.mp4` (EXT-X-MAP).
    public var initIndex: Int
    /// Tag lines written before the segment's EXTINF (e.g. EXT-X-DATERANGE of events).
    public var extraTags: [String]

    public init(msn: Int, duration: Double, programDateTime: Int64, discontinuity: Bool, initIndex: Int, extraTags: [String] = []) {
        self.msn = msn
        self.duration = duration
        self.programDateTime = programDateTime
        self.discontinuity = discontinuity
        self.initIndex = initIndex
        self.extraTags = extraTags
    }
}
