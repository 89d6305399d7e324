import MediaCore

/// What the multivariant playlist says about a rendition, from its tracks and measured media.
public struct RenditionInfo: Sendable {
    public var name: String
    public var tracks: [TrackInfo]
    public var isSource: Bool
    /// Bits per second: the largest segment's rate, and the mean over the stored segments.
    public var peakBandwidth: Int
    public var averageBandwidth: Int
    /// Measured video frames per second, if the rendition has video.
    public var frameRate: Double?
}
