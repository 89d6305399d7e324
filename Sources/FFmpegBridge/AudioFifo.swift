import CFFmpeg

/// Re-chunks audio into the fixed frame size an encoder needs (AAC 1024, Opus 960 at 48 kHz).
///
/// Not Sendable: belongs to the thread that created it.
public final class AudioFifo {
    private let fifo: OpaquePointer
    public let format: AVSampleFormat
    public let channels: Int
    public let sampleRate: Int

    public init(format: AVSampleFormat, channels: Int, sampleRate: Int) throws {
        guard let f = av_audio_fifo_alloc(format, try int32(channels, "FIFO channels"), 1024) else {
            throw FFmpegError("av_audio_fifo_alloc", message: "out of memory")
        }
        fifo = f
        self.format = format
        self.channels = channels
        self.sampleRate = sampleRate
    }

    deinit { av_audio_fifo_free(fifo) }

    public var count: Int { Int(av_audio_fifo_size(fifo)) }

    public func write(_ frame: Frame) throws {
        guard frame.sampleCount > 0 else { return }
        let raw = UnsafeMutableRawPointer(frame.pointer.pointee.extended_data)
        let planes = raw?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        try check(av_audio_fifo_write(fifo, planes, frame.pointer.pointee.nb_samples), "av_audio_fifo_write")
    }

    /// Exactly `samples` samples, or nil while fewer are buffered.
    public func read(_ samples: Int) throws -> Frame? {
        guard count >= samples, samples > 0 else { return nil }
        let frame = try Frame(samples: samples, format: format, sampleRate: sampleRate, channels: channels)
        let raw = UnsafeMutableRawPointer(frame.pointer.pointee.extended_data)
        let planes = raw?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        try check(av_audio_fifo_read(fifo, planes, frame.pointer.pointee.nb_samples), "av_audio_fifo_read")
        return frame
    }
}
