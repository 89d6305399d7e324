/// The stats of all viewers on one event loop, touched only on that loop. One per loop, not
/// per viewer: a viewer's three histograms would cost ~100 KB each at 2,500 viewers.
final class ViewerTally {
    var stats = ViewerStats()
}
