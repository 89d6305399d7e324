import FFmpegBridge
import MediaCore

/// How one rung's libx264 encoder is set up: the one place that knows x264's options, so the
/// decode pipeline only decides sizes and rates.
enum X264RungSettings {
    static func make(config: TranscodeConfiguration, width: Int, height: Int, timebase: Rational, frameRate: Rational,
                     fps: Double, bitrate: Int, threads: Int) -> VideoEncoderSettings {
        // Keyframes are forced at GOP boundaries (forced-idr), the same output pts on every rung,
        // so scene cuts and open GOPs must not add others.
        var options = ["preset": config.preset, "forced-idr": "1", "x264-params": "scenecut=0:open-gop=0"]
        if !config.tune.isEmpty { options["tune"] = config.tune }
        var encoder = VideoEncoderSettings(
            width: width, height: height, timebase: timebase, frameRate: frameRate, bitrate: bitrate,
            maxBitrate: Int(Double(bitrate) * config.maxRateFactor),
            bufferSize: Int(Double(bitrate) * config.vbvBufferSeconds),
            // Only a safety net: keyframes are forced at GOP boundaries.
            gopSize: max(1, Int((config.gopSeconds * fps * 2).rounded())),
            options: options)
        encoder.threads = threads
        return encoder
    }
}
