/// Live-commerce analytics of one stream, as `GET /api/v1/streams` shows them
/// (`ViewerAnalytics` computes them).
struct StreamAnalytics: Codable, Sendable, Equatable {
    /// Viewers now, by protocol: HLS sessions (identity: address + User-Agent) and RTMP players.
    var viewers: Int
    var hlsViewers: Int
    var rtmpViewers: Int
    /// Most viewers at once since the stream's analytics started.
    var peakViewers: Int
    /// Distinct viewers since the stream's analytics started; estimated (HyperLogLog) once
    /// past `analytics.exactUniqueViewers`, then `uniqueViewersEstimated` is true.
    var uniqueViewers: Int
    var uniqueViewersEstimated: Bool
    /// Mean watch time of every viewing session, those still watching included (seconds).
    var averageWatchSeconds: Double
    /// HLS join time: a viewer's first playlist request → first media bytes sent (seconds),
    /// over the last `ViewerAnalytics.joinSamples` joins; nil before the first join.
    var joinTimeP50Seconds: Double?
    var joinTimeP95Seconds: Double?
    var joins: Int
    /// Viewers now per rendition ("source", rung names); viewers that fetched no rendition yet
    /// are not in it.
    var renditions: [String: Int]
}
