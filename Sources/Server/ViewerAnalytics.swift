/// One stream's viewers, in bounded memory, on a clock the caller passes (seconds on any
/// monotonic scale), so it is pure and testable. Not thread-safe: `Analytics` locks it.
struct ViewerAnalytics: Sendable {
    /// Join times kept for the percentiles.
    static let joinSamples = 1024
    /// HLS viewers tracked at once; more are still counted as unique, not as concurrent.
    static let maxTracked = 100_000

    enum Request: Sendable, Equatable {
        /// A multivariant or media playlist (`rendition` nil for the multivariant one).
        case playlist(rendition: String?)
        /// A part, segment or init segment of `rendition` with its body.
        case media(rendition: String)
    }

    private struct Viewer {
        var first: Double
        var last: Double
        var rendition: String?
        /// When its first playlist was requested, until it got media (then nil).
        var joinStarted: Double?
    }

    private struct Player {
        var first: Double
        var rendition: String
    }

    var timeout: Double
    private var hls: [UInt64: Viewer] = [:]
    private var rtmp: [Int: Player] = [:]
    private var unique: UniqueViewers
    private(set) var peak = 0
    private var endedWatchSeconds = 0.0
    private var endedSessions = 0
    private var joinTimes: [Double] = []
    private var nextJoin = 0
    private(set) var joins = 0

    init(timeout: Double, exactUniqueViewers: Int) {
        self.timeout = timeout
        unique = UniqueViewers(exactLimit: exactUniqueViewers)
    }

    /// An HLS request answered with media or a playlist. `received`: when it arrived;
    /// `answered`: when its answer was sent. Returns the join time if this request completed
    /// the viewer's join.
    @discardableResult
    mutating func record(viewer key: UInt64, _ request: Request, received: Double, answered: Double) -> Double? {
        unique.add(key)
        var joined: Double?
        if var v = hls[key] {
            v.last = max(v.last, answered)
            switch request {
            case .playlist(let rendition):
                if let rendition { v.rendition = rendition }
            case .media(let rendition):
                v.rendition = rendition
                if let started = v.joinStarted {
                    joined = max(0, answered - started)
                    v.joinStarted = nil
                }
            }
            hls[key] = v
        } else {
            guard hls.count < Self.maxTracked else { return nil }
            switch request {
            case .playlist(let rendition):
                hls[key] = Viewer(first: received, last: answered, rendition: rendition, joinStarted: received)
            case .media(let rendition):
                // Media without a playlist first (a viewer back after the timeout): no join to time.
                hls[key] = Viewer(first: received, last: answered, rendition: rendition, joinStarted: nil)
            }
            peak = max(peak, concurrent)
        }
        if let joined { addJoin(joined) }
        return joined
    }

    private mutating func addJoin(_ seconds: Double) {
        joins += 1
        if joinTimes.count < Self.joinSamples {
            joinTimes.append(seconds)
        } else {
            joinTimes[nextJoin] = seconds
            nextJoin = (nextJoin + 1) % Self.joinSamples
        }
    }

    /// Ends HLS viewers idle for `timeout` and syncs the RTMP players (id → rendition) with
    /// the relay's list.
    mutating func tick(now: Double, rtmpPlayers: [Int: String]) {
        for (key, v) in hls where now - v.last > timeout {
            endedWatchSeconds += max(0, v.last - v.first)
            endedSessions += 1
            hls[key] = nil
        }
        for (id, p) in rtmp where rtmpPlayers[id] == nil {
            endedWatchSeconds += max(0, now - p.first)
            endedSessions += 1
            rtmp[id] = nil
        }
        for (id, rendition) in rtmpPlayers {
            if rtmp[id] == nil {
                unique.add(HyperLogLog.key("rtmp/\(id)".utf8))
                rtmp[id] = Player(first: now, rendition: rendition)
            } else {
                rtmp[id]?.rendition = rendition
            }
        }
        peak = max(peak, concurrent)
    }

    var concurrent: Int { hls.count + rtmp.count }

    func snapshot(now: Double) -> StreamAnalytics {
        var renditions: [String: Int] = [:]
        for v in hls.values { if let r = v.rendition { renditions[r, default: 0] += 1 } }
        for p in rtmp.values { renditions[p.rendition, default: 0] += 1 }
        var watch = endedWatchSeconds
        for v in hls.values { watch += max(0, v.last - v.first) }
        for p in rtmp.values { watch += max(0, now - p.first) }
        let sessions = endedSessions + hls.count + rtmp.count
        let sorted = joinTimes.sorted()
        func percentile(_ p: Double) -> Double? {
            guard !sorted.isEmpty else { return nil }
            let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(rank, 0), sorted.count - 1)]
        }
        return StreamAnalytics(viewers: concurrent, hlsViewers: hls.count, rtmpViewers: rtmp.count, peakViewers: peak,
                               uniqueViewers: unique.count, uniqueViewersEstimated: unique.isEstimated,
                               averageWatchSeconds: sessions == 0 ? 0 : watch / Double(sessions),
                               joinTimeP50Seconds: percentile(0.5), joinTimeP95Seconds: percentile(0.95), joins: joins,
                               renditions: renditions)
    }

    /// Viewers now per (protocol, rendition), for the metrics.
    var viewersByRendition: [ViewerKey: Int] {
        var out: [ViewerKey: Int] = [:]
        for v in hls.values { out[ViewerKey(protocol: "hls", rendition: v.rendition ?? "none"), default: 0] += 1 }
        for p in rtmp.values { out[ViewerKey(protocol: "rtmp", rendition: p.rendition), default: 0] += 1 }
        return out
    }

    struct ViewerKey: Hashable, Sendable {
        var `protocol`: String
        var rendition: String
    }
}
