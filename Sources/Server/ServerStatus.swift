import Foundation
import HLS
import StreamHub
import Transcode

/// What `GET /api/v1/streams` answers: one entry per live or recently live path
/// (`GET /api/v1/streams/{path}`: one `Stream`). Docs/openapi.yaml describes the same shape.
struct ServerStatus: Codable, Sendable {
    struct Track: Codable, Sendable {
        var kind: String
        var codec: String
        var width: Int?
        var height: Int?
        /// Measured over the last ~2 s (video); the publisher's own figure when nothing was measured yet.
        var fps: Double?
        /// Measured over the last ~2 s.
        var bitrateKbps: Int?
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
        var source: Bool
        var width: Int?
        var height: Int?
        /// Measured frame rate of the rendition's video.
        var fps: Double?
        /// Mean over the stored segments, and the largest segment's rate (kbit/s).
        var bitrateKbps: Int
        var peakBitrateKbps: Int
        var lastMSN: Int
        var peakBandwidth: Int
        var averageBandwidth: Int
        var heldRequests: Int
        /// Parts published since the rendition started.
        var partsPublished: Int
        /// Media requests this origin answered for the rendition since it started (any status).
        var requests: RenditionRequestCounts
    }

    /// An edge in front of the origin shows here: requests ÷ `partsPublished` over a window is
    /// the origin's cost per part, whatever the audience.
    struct RenditionRequestCounts: Codable, Sendable {
        var playlists: Int
        var parts: Int
        /// Whole segments and init segments.
        var segments: Int
    }

    /// A relay player (RTMP/SRT play) and what its send-delay control did, or a WHEP viewer
    /// (`webrtc`) and what its rung policy did, with the signals it decides on.
    struct Player: Codable, Sendable {
        var transport: String
        var rendition: String
        var movesDown: Int
        var movesUp: Int
        var keyframeSkips: Int
        var queuedMs: Int
        /// WebRTC only: the peer's state (`connected`...), the viewer's bandwidth estimate (REMB),
        /// loss and round trip (receiver reports) and what it was sent lately.
        var state: String?
        var estimateKbps: Int?
        var lossPercent: Double?
        var rttMs: Int?
        var sentKbps: Int?
    }

    /// Moves and skips of all the stream's players, those that left included.
    struct PlayerAdaptation: Codable, Sendable {
        var movesDown: Int
        var movesUp: Int
        var keyframeSkips: Int
    }

    /// The publisher's connection and what it sends now.
    struct Publisher: Codable, Sendable {
        /// "rtmp" or "srt".
        var `protocol`: String
        var remoteAddress: String
        var since: String
        var uptimeSeconds: Double
        /// Over the last ~2 s: all tracks, video only, audio only.
        var bitrateKbps: Int
        var videoBitrateKbps: Int
        var audioBitrateKbps: Int
        var fps: Double
    }

    /// Viewers now. `rtmp` counts relay players (RTMP and SRT play), `webrtc` WHEP viewers,
    /// `hls` HLS sessions once analytics provide them (null until then).
    struct Viewers: Codable, Sendable {
        var total: Int
        var rtmp: Int
        var webrtc: Int
        var hls: Int?
    }

    /// Media lost on the way, since the stream started.
    struct Drops: Codable, Sendable {
        /// Units the transcoder's input queue dropped (it fell behind the publisher).
        var transcodeInput: Int
        /// Frames the rungs' encoders dropped (the ladder is not real time on this machine).
        var encoder: Int
        /// Units the current readers (HLS packager, transcoder, relay players) lost to full queues.
        var readers: Int
        /// Relay players' skips to a keyframe.
        var playerKeyframeSkips: Int
        var total: Int
    }

    struct Stream: Codable, Sendable {
        var path: String
        var publishing: Bool
        var publisher: Publisher?
        var uptimeSeconds: Double?
        var readers: Int
        var unitsIn: Int
        var bytesIn: Int
        var viewers: Viewers
        var drops: Drops
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

    /// Paths to list: the transcoder's renditions in the hub are parts of their stream, not streams.
    static func paths(hub: StreamHub, registry: HLSRegistry) -> [String] {
        Set(hub.paths.filter { hub.stream($0)?.isDerived != true }).union(registry.paths).sorted()
    }

    static func collect(hub: StreamHub, pipelines: StreamPipelines, registry: HLSRegistry, analytics: Analytics? = nil) -> ServerStatus {
        ServerStatus(streams: paths(hub: hub, registry: registry).compactMap {
            stream($0, hub: hub, pipelines: pipelines, registry: registry, analytics: analytics)
        })
    }

    /// One path's status; nil when the path is neither live nor served.
    static func stream(_ path: String, hub: StreamHub, pipelines: StreamPipelines, registry: HLSRegistry, analytics: Analytics? = nil,
                       now: Date = Date()) -> Stream? {
        let live = hub.stream(path).flatMap { $0.isDerived ? nil : $0 }
        let hls = registry.stream(path)
        guard live != nil || hls != nil else { return nil }
        let stats = pipelines.pipeline(path)?.transcodeStats
        let rate = live?.ingestRate ?? IngestRate()
        let info = live?.publisherInfo
        let players = live?.players ?? []
        let totals = live?.playerTotals ?? PlayerAdaptationTotals()
        let uptime = info.map { max(0, (now.timeIntervalSince($0.since) * 10).rounded() / 10) }
        let transcodeInput = stats?.inputDropped ?? 0
        let encoder = (stats?.rungs ?? []).reduce(0) { $0 + $1.framesDropped }
        let readers = live?.readersLost ?? 0
        let watching = analytics?.snapshot(path)
        var status = Stream(
            path: path,
            publishing: live?.hasPublisher ?? false,
            publisher: info.map {
                Publisher(protocol: $0.transport, remoteAddress: $0.remote, since: ISO8601DateFormatter().string(from: $0.since),
                          uptimeSeconds: uptime ?? 0, bitrateKbps: rate.bitsPerSecond / 1000,
                          videoBitrateKbps: rate.videoBitsPerSecond / 1000, audioBitrateKbps: rate.audioBitsPerSecond / 1000,
                          fps: rate.videoFramesPerSecond)
            },
            uptimeSeconds: uptime,
            readers: live?.readerCount ?? 0,
            unitsIn: live?.unitsIn ?? 0,
            bytesIn: live?.bytesIn ?? 0,
            viewers: Viewers(total: players.count + (watching?.hlsViewers ?? 0), rtmp: players.count(where: { $0.transport != "webrtc" }),
                             webrtc: players.count(where: { $0.transport == "webrtc" }), hls: watching?.hlsViewers),
            drops: Drops(transcodeInput: transcodeInput, encoder: encoder, readers: readers, playerKeyframeSkips: totals.keyframeSkips,
                         total: transcodeInput + encoder + readers + totals.keyframeSkips),
            tracks: (live?.tracks ?? []).map {
                let video = $0.kind == .video
                let measured = video ? rate.videoBitsPerSecond : rate.audioBitsPerSecond
                let declaredFPS = $0.frameRate.map(\.seconds).flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
                return Track(kind: $0.kind.rawValue, codec: $0.codec.rawValue,
                             width: video ? $0.width : nil, height: video ? $0.height : nil,
                             fps: video ? (rate.videoFramesPerSecond > 0 ? rate.videoFramesPerSecond : declaredFPS) : nil,
                             bitrateKbps: measured > 0 ? measured / 1000 : $0.bitrate.map { $0 / 1000 },
                             sampleRate: video ? nil : $0.sampleRate, channels: video ? nil : $0.channels)
            },
            transcodeInputDropped: stats?.inputDropped,
            rungs: (stats?.rungs ?? []).map {
                Rung(name: $0.name, width: $0.width, height: $0.height, bitrateKbps: $0.bitrate / 1000,
                     framesEncoded: $0.framesEncoded, framesDropped: $0.framesDropped, maxQueueDepth: $0.maxQueueDepth)
            },
            renditions: (hls?.allRenditions ?? []).map {
                let info = $0.info
                let video = info.tracks.first { $0.kind == .video }
                return Rendition(name: $0.name, source: info.isSource, width: video?.width, height: video?.height,
                                 fps: info.frameRate.map { ($0 * 100).rounded() / 100 },
                                 bitrateKbps: info.averageBandwidth / 1000, peakBitrateKbps: info.peakBandwidth / 1000,
                                 lastMSN: $0.timeline.lastMSN, peakBandwidth: info.peakBandwidth,
                                 averageBandwidth: info.averageBandwidth, heldRequests: $0.heldRequestCount,
                                 partsPublished: $0.partsPublished,
                                 requests: RenditionRequestCounts(playlists: $0.requests[.playlist], parts: $0.requests[.part],
                                                                  segments: $0.requests[.segment]))
            },
            players: players.map {
                Player(transport: $0.transport, rendition: $0.rendition, movesDown: $0.movesDown, movesUp: $0.movesUp,
                       keyframeSkips: $0.keyframeSkips, queuedMs: Int(clamping: $0.queuedMillis), state: $0.state, estimateKbps: $0.estimateKbps,
                       lossPercent: $0.lossPercent, rttMs: $0.rttMs, sentKbps: $0.sentKbps)
            },
            playerAdaptation: PlayerAdaptation(movesDown: totals.movesDown, movesUp: totals.movesUp, keyframeSkips: totals.keyframeSkips))
        status.analytics = watching
        return status
    }
}

/// What `GET /api/v1/server` answers.
struct ServerInfo: Codable, Sendable {
    struct Listener: Codable, Sendable {
        var `protocol`: String
        var host: String
        var port: Int?
    }
    var version: String
    var startedAt: String
    var uptimeSeconds: Double
    var ready: Bool
    var listeners: [Listener]
    var streams: Int
    var publishing: Int
}
