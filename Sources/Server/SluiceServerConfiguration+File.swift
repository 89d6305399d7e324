import Config
import HLS
import Origin
import Transcode

extension SluiceServerConfiguration {
    /// The configuration file's tree mapped onto what the server starts with; `file` keeps the
    /// whole tree for what is read at decision time. Throws `LadderError` for a ladder that
    /// does not parse (the loader's `validate` reports it first, with its key and line).
    public init(file: SluiceConfig) throws {
        let l = file.listeners, h = file.hls, limits = file.limits
        var transcode: TranscodeConfiguration? = nil
        if file.transcode.enabled { transcode = try Self.transcode(file.transcode, ladder: file.transcode.ladder) }
        var hls = HLSConfiguration(partTarget: h.partSeconds, targetDuration: h.targetDurationSeconds,
                                   segmentMinimum: h.segmentMinimumSeconds,
                                   // Time-shift lists the DVR window live (memory bounded by maxRetainedMiB).
                                   playlistWindow: max(h.playlistWindowSeconds, min(h.dvrWindowSeconds, 86_400)),
                                   legacyTS: h.legacyTS, startBandwidth: h.startBandwidthKbps > 0 ? min(h.startBandwidthKbps, 1_000_000) * 1000 : nil,
                                   maxRetainedBytes: min(max(h.maxRetainedMiB, 1), 65_536) << 20,
                                   maxRetainedSegments: max(128, Int(min(h.dvrWindowSeconds, 86_400) / max(h.segmentMinimumSeconds, 0.1)) + 16))
        hls.partHoldBackParts = h.partHoldBackParts
        self.init(host: l.host, rtmpPort: l.rtmp.port, srtPort: l.srt.port, httpPort: l.http.port, transcode: transcode, hls: hls,
                  endGrace: Self.seconds(h.endGraceSeconds), srtPassphrase: l.srt.passphrase, srtLatencyMs: l.srt.latencyMs)
        playerAdaptation = file.transcode.playerAdaptation
        rtmpEnabled = l.rtmp.enabled
        srtEnabled = l.srt.enabled
        rtmpMaxConnections = limits.maxRTMPConnections
        publisherIdleTimeout = Self.seconds(limits.publisherIdleSeconds)
        origin = OriginLimits(maxConnections: limits.maxHTTPConnections > 0 ? limits.maxHTTPConnections : OriginLimits.defaultMaxConnections,
                              idleTimeout: Self.seconds(limits.httpIdleSeconds), maxRequestBytes: limits.maxHTTPRequestBytes)
        self.file = file
    }

    /// The transcoder's settings from the file's `transcode` section with `ladder` (nil: the built-in one).
    static func transcode(_ section: SluiceConfig.Transcode, ladder: String?, base: TranscodeConfiguration = TranscodeConfiguration())
        throws -> TranscodeConfiguration {
        var t = base
        t.ladder = try ladder.map(Ladder.init(parsing:)) ?? .default
        t.preset = section.preset
        t.gopSeconds = section.gopSeconds
        return t
    }

    /// Seconds from the file as a Duration, bounded so an unvalidated value cannot trap.
    static func seconds(_ value: Double) -> Duration {
        .milliseconds(Int64((value.isFinite ? min(max(value, 0), 86_400) : 0) * 1000))
    }
}
