/// The stats of all viewers on one event loop, touched only on that loop. One per loop, not
/// per viewer: each histogram holds ~90 KB of counts for delays up to a second, ×3 ×2,500.
final class ViewerTally {
    var stats = ViewerStats()
}
