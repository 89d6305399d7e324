import HLS
import StreamHub
import Transcode

/// What `GET /api/v1/streams` answers: one entry per live or recently live path.
struct ServerStatus: Codable, Sendable {
    struct Track: Codable, Sendable {
        var codec: String
        var width: Int?
        var height: Int?
        var sampleRate: Int?
        var channels: Int?
    }

    struct Rung: Codable, Sendable {
        var name: String
        var width: Int
        var height: Int
        var bitrateKbps: Int
        var framesEncoded: Int
        var framesDropped: Int
        var maxQueueDepth: Int
    }

    struct Rendition: Codable, Sendable {
        var name: String
        var lastMSN: Int
        var peakBandwidth: Int
        var averageBandwidth: Int
        var heldRequests: Int
    }

    /// A relay player (RTMP play) and what its send-delay control did.
    struct Player: Codable, Sendable {
        var transport: String
        var rendition: String
        var movesDown: Int
        var movesUp: Int
        var keyframeSkips: Int
        var queuedMs: Int
    }

    /// Moves and skips of all the stream's players, those that left included.
    struct PlayerAdaptation: Codable, Sendable {
        var movesDown: Int
        var movesUp: Int
        var keyframeSkips: Int
    }

    struct Stream: Codable, Sendable {
        var path: String
        var publishing: Bool
        var readers: Int
        var unitsIn: Int
        var bytesIn: Int
        var tracks: [Track]
        var transcodeInputDropped: Int?
        var rungs: [Rung]
        var renditions: [Rendition]
        var players: [Player]
        var playerAdaptation: PlayerAdaptation
        /// Viewers, joins and watch time (StreamAnalytics); nil before anyone watched.
        var analytics: StreamAnalytics?
    }

    var streams: [Stream]

    static func collect(hub: StreamHub, pipelines: StreamPipelines, registry: HLSRegistry, analytics: Analytics? = nil) -> ServerStatus {
        // The transcoder's renditions in the hub are parts of their stream, not streams.
        let paths = Set(hub.paths.filter { hub.stream($0)?.isDerived != true }).union(registry.paths).sorted()
        return ServerStatus(streams: paths.map { path in
            let live = hub.stream(path)
            let stats = pipelines.pipeline(path)?.transcodeStats
            let hls = registry.stream(path)
            return Stream(
                path: path,
                publishing: live?.hasPublisher ?? false,
                readers: live?.readerCount ?? 0,
                unitsIn: live?.unitsIn ?? 0,
                bytesIn: live?.bytesIn ?? 0,
                tracks: (live?.tracks ?? []).map {
                    Track(codec: $0.codec.rawValue, width: $0.kind == .video ? $0.width : nil, height: $0.kind == .video ? $0.height : nil,
                          sampleRate: $0.kind == .audio ? $0.sampleRate : nil, channels: $0.kind == .audio ? $0.channels : nil)
                },
                transcodeInputDropped: stats?.inputDropped,
                rungs: (stats?.rungs ?? []).map {
                    Rung(name: $0.name, width: $0.width, height: $0.height, bitrateKbps: $0.bitrate / 1000,
                         framesEncoded: $0.framesEncoded, framesDropped: $0.framesDropped, maxQueueDepth: $0.maxQueueDepth)
                },
                renditions: (hls?.allRenditions ?? []).map {
                    let info = $0.info
                    return Rendition(name: $0.name, lastMSN: $0.timeline.lastMSN, peakBandwidth: info.peakBandwidth,
                                     averageBandwidth: info.averageBandwidth, heldRequests: $0.heldRequestCount)
                },
                players: (live?.players ?? []).map {
                    Player(transport: $0.transport, rendition: $0.rendition, movesDown: $0.movesDown, movesUp: $0.movesUp,
                           keyframeSkips: $0.keyframeSkips, queuedMs: Int(clamping: $0.queuedMillis))
                },
                playerAdaptation: { () -> PlayerAdaptation in
                    let t = live?.playerTotals ?? PlayerAdaptationTotals()
                    return PlayerAdaptation(movesDown: t.movesDown, movesUp: t.movesUp, keyframeSkips: t.keyframeSkips)
                }(),
                analytics: analytics?.snapshot(path))
        })
    }
}
