import MediaCore

/// One output of a session: a ladder rung, an audio encoding or the source passthrough.
public struct Rendition: Sendable, Equatable {
    public var name: String
    /// Codec parameters following the hub conventions: avcC extradata and length-prefixed
    /// payloads for H.264, AudioSpecificConfig for AAC, OpusHead for Opus.
    public var track: TrackInfo

    public init(name: String, track: TrackInfo) {
        self.name = name
        self.track = track
    }
}
