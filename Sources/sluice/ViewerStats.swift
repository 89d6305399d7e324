import LatencyProbe

/// What viewers measured. Kept per event loop (`ViewerTally`) and merged at the end: no lock
/// per request, and histograms, so memory stays flat however many parts are fetched.
struct ViewerStats: Sendable {
    var requests = 0
    var errors = 0
    /// `errors` by cause ("HTTP 404", "connection failed or dropped", "malformed response"), so a
    /// soak tells a server fault from a viewer that fell out of the live window.
    var errorKinds: [String: Int] = [:]
    var parts = 0
    var bytes = 0
    var replayed = 0
    /// From the blocking reload that listed a part to the part's last byte.
    var reloadToDelivery = LatencyHistogram()
    /// From the part's end on the ingest clock (PDT + preceding parts + its duration) to its
    /// last byte. Same-host clocks only; negative when the clocks disagree.
    var partEndToDelivery = LatencyHistogram()
    var partRequest = LatencyHistogram()
    /// From the part's listing at the origin (a watcher's blocking reload there returned) to its
    /// last byte here; with `--origin`.
    var listedToDelivery = LatencyHistogram()
    /// Parts delivered that the watcher had not seen listed yet (timed as 0).
    var deliveredBeforeListed = 0

    mutating func error(_ kind: String) {
        errors += 1
        errorKinds[kind, default: 0] += 1
    }

    mutating func merge(_ o: ViewerStats) {
        requests += o.requests
        errors += o.errors
        errorKinds.merge(o.errorKinds, uniquingKeysWith: +)
        parts += o.parts
        bytes += o.bytes
        replayed += o.replayed
        reloadToDelivery.merge(o.reloadToDelivery)
        partEndToDelivery.merge(o.partEndToDelivery)
        partRequest.merge(o.partRequest)
        listedToDelivery.merge(o.listedToDelivery)
        deliveredBeforeListed += o.deliveredBeforeListed
    }
}
