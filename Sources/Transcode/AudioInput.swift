import MediaCore

/// What the decode thread forwards to the audio thread.
enum AudioInput: Sendable {
    case track(TrackInfo)
    case unit(MediaUnit)
}
