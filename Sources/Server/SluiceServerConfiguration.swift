import Config
import HLS
import Origin
import Transcode

/// What `sluice serve` runs. Port 0 picks a free port; the bound port is logged.
public struct SluiceServerConfiguration: Sendable {
    public var host: String
    public var rtmpPort: Int
    public var srtPort: Int
    public var httpPort: Int
    /// The ladder every published stream is transcoded to; nil serves the source only.
    public var transcode: TranscodeConfiguration?
    public var hls: HLSConfiguration
    /// How long a path's playlists wait for a republish before they get ENDLIST.
    public var endGrace: Duration
    /// The passphrase every SRT publisher must use; nil: none.
    public var srtPassphrase: String?
    public var srtLatencyMs: Int
    /// RTMP players whose send queue grows move to a lower rendition or skip to a keyframe
    /// (`SendDelayController`); false sends them everything.
    public var playerAdaptation = true
    /// The configuration file's tree (`Config`). Start-only parts are mapped onto the fields
    /// above by `sluice serve`; what can change at run time (auth, limits, API token, analytics,
    /// dashboard, logging) is read from `SluiceServer.config` at decision time.
    public var file = SluiceConfig()
    /// Where a path nobody pushes is pulled from (nil: not pulled). Asked on a playlist request
    /// of a path that is not live.
    public var pullSource: @Sendable (String) -> PullSource? = { _ in nil }
    /// Paths pulled from start (their source says `always`).
    public var alwaysPulled: [String] = []
    /// false: no RTMP (or SRT) listener at all.
    public var rtmpEnabled = true
    public var srtEnabled = true
    /// RTMP connections, all kinds; beyond it new ones are closed as they are accepted.
    public var rtmpMaxConnections = 1000
    /// An RTMP publisher that sends nothing for this long is closed.
    public var publisherIdleTimeout: Duration = .seconds(30)
    /// What one HTTP client may cost the origin (connections, idle time, request bytes).
    public var origin = OriginLimits()
    /// Reads the configuration again (file, environment, flags; validated) for SIGHUP and
    /// `POST /api/v1/reload`; nil: reload is not available.
    public var reloadSource: (@Sendable () throws -> SluiceConfig)?

    public init(host: String = "0.0.0.0", rtmpPort: Int = 1935, srtPort: Int = 9000, httpPort: Int = 8080,
                transcode: TranscodeConfiguration? = TranscodeConfiguration(), hls: HLSConfiguration = HLSConfiguration(),
                endGrace: Duration = .seconds(10), srtPassphrase: String? = nil, srtLatencyMs: Int = 120) {
        self.host = host
        self.rtmpPort = rtmpPort
        self.srtPort = srtPort
        self.httpPort = httpPort
        self.transcode = transcode
        self.hls = hls
        self.endGrace = endGrace
        self.srtPassphrase = srtPassphrase
        self.srtLatencyMs = srtLatencyMs
    }
}
