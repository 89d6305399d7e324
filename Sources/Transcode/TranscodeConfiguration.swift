import FFmpegBridge
import Foundation
import MediaCore

/// Per-stream transcode settings (Sendable: handed to the codec threads, which build their
/// codec objects from it).
public struct TranscodeConfiguration: Sendable {
    public var ladder: Ladder = .default
    public var audio: [AudioRenditionSpec] = [.aac128k]
    /// Also forward the source video untouched as rendition `"source"`.
    public var passthroughSource = false
    /// Every rung gets an IDR on the first frame at or after each multiple of this many
    /// seconds of output time, so rungs switch at the same PTS (and sessions on other
    /// machines agree). Scene-cut keyframes are off.
    public var gopSeconds: Double = 2
    public var preset = "veryfast"
    public var tune = "zerolatency"
    /// VBV: max rate = bitrate × this, buffer = bitrate × `vbvBufferSeconds`.
    public var maxRateFactor: Double = 1.0
    public var vbvBufferSeconds: Double = 1.0
    public var overload: OverloadPolicy = .dropFrames
    /// Frames waiting per rung; beyond it the rung drops (live) or decode waits (block).
    public var rungQueueCapacity = 6
    /// Live: video older than this (seconds since its ingest wall clock) when the decode thread
    /// reaches it is skipped up to a fresh keyframe, so a starved session catches up instead
    /// of building latency. nil: never.
    public var maxInputLag: Double? = 1.0
    /// Hub events waiting for the decode thread when fed with `push`.
    public var inputQueueCapacity = 512
    public var decoderThreads = 1
    /// x264 threads per rung; nil: cores / rungs (at least 1), so rungs fill the cores
    /// without oversubscribing them (the rung threads are the parallelism).
    public var encoderThreads: Int? = nil
    public var cores: Int = ProcessInfo.processInfo.activeProcessorCount
    /// swscale flags for the cascade. Bicubic: measured against a lanczos reference it keeps
    /// 49–54 dB through the cascade where bilinear falls to 39–45 dB (Docs/Transcode.md).
    public var scaleQuality: Scaler.Quality = .bicubic
    /// Cascade: a rung is scaled from the smallest picture of the same frame (the source or
    /// a larger rung) that is at least this many times its height. Small steps (480p → 360p)
    /// blur for little saving, so 360p comes from 720p, 480p from 720p, 720p from 1080p.
    public var cascadeMinRatio: Double = 1.5
    /// Timebase of every video rendition's timestamps.
    public var outputTimebase: Rational = .mpegTS
    /// Called on the decode thread for each decoded video frame with its ingest wall clock
    /// (µs): the server's received → decoded latency metric.
    public var onFrameDecoded: (@Sendable (_ ingestWallClock: Int64) -> Void)?

    public init() {}

    public func encoderThreadCount(rungCount: Int) -> Int {
        if let encoderThreads { return max(1, encoderThreads) }
        return max(1, cores / max(1, rungCount))
    }
}
