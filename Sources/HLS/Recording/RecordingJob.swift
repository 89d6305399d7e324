import NIOCore

/// Work for the recorder's disk thread.
enum RecordingJob: Sendable {
    /// Open (or continue) the recording of `path`; `key` names it until `finish`.
    case begin(key: Int, path: String)
    /// `gap`: segments of this rendition were dropped before it (EXT-X-DISCONTINUITY).
    case segment(key: Int, CompletedSegment, gap: Bool)
    /// ENDLIST on every rendition; the recording is done.
    case finish(key: Int)
    /// Remove recordings past the age or total-size limits.
    case retention

    var bytes: Int {
        if case .segment(_, let s, _) = self { return s.segment.byteCount + s.initData.readableBytes }
        return 0
    }
}
