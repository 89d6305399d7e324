import FFmpegBridge
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
    /// Hub events waiting for the decode thread when fed with `push`.
    public var inputQueueCapacity = 512
    public var decoderThreads = 1
    /// x264 threads per rung; nil: cores / rungs (at least 1), so rungs fill the cores
    /// without oversubscribing them (the rung threads are the parallelism).
    public var encoderThreads: Int? = nil
    public var cores: Int = 2
    /// swscale flags for the cascade. Bilinear from the nearest larger rung: each step is at
    /// most 1.5× down, where bilinear's filter (widened by the ratio) keeps detail close to
    /// bicubic from the source at a fraction of the cost (see Docs/Transcode.md).
    public var scaleQuality: Scaler.Quality = .bilinear
    /// Timebase of every video rendition's timestamps.
    public var outputTimebase: Rational = .mpegTS

    public init() {}

    public func encoderThreadCount(rungCount: Int) -> Int {
        if let encoderThreads { return max(1, encoderThreads) }
        return max(1, cores / max(1, rungCount))
    }
}
