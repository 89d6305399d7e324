import MediaCore

/// Where a `TranscodeSession` delivers its renditions; the server glues this to the HLS
/// packager and the hub (see `HubRenditionSink`).
///
/// Calls come from the session's codec threads: for one rendition always from the same
/// thread, in order (`start`, then units, then `end`), different renditions concurrently.
/// Implementations must return quickly: a slow sink slows (live: drops frames of) its rung.
public protocol RenditionSink: Sendable {
    /// The rendition's track is known (before its first unit), or changed.
    func start(_ rendition: Rendition)
    /// One access unit. Video: decode order, 4-byte length-prefixed NALs, keyframes are IDRs,
    /// `ingestWallClock` is the source frame's. The probe's SEI stamps ride in the same frame.
    func unit(_ unit: MediaUnit, rendition: String)
    /// No more units for this rendition.
    func end(rendition: String)
}
