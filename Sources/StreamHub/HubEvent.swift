import MediaCore

/// What a reader receives from a stream, in order.
public enum HubEvent: Sendable {
    /// The stream's tracks (codec parameters). Sent first, and again when a publisher
    /// (re)starts or a sequence header changes mid-stream.
    case tracks([TrackInfo])
    case unit(MediaUnit)
    /// A new publisher took over the path: timestamps restart; downstream marks a discontinuity.
    case discontinuity
    /// Free-form metadata from the publisher (e.g. RTMP onMetaData), as key/value strings.
    case metadata([String: String])
}
