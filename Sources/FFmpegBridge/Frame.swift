import CFFmpeg

/// An owned AVFrame (video picture or audio samples), freed when the last reference goes.
///
/// @unchecked Sendable: a frame moves from the decode thread to encoder threads through
/// bounded queues; readers only read it, and FFmpeg's buffers are refcounted thread-safely.
public final class Frame: @unchecked Sendable {
    /// Internal: callers use the accessors, so only this module touches the AVFrame.
    let pointer: UnsafeMutablePointer<AVFrame>

    public init() {
        guard let p = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
        pointer = p
    }

    /// A video frame with its own buffers.
    public convenience init(width: Int, height: Int, format: AVPixelFormat) throws {
        self.init()
        pointer.pointee.width = try int32(width, "frame width")
        pointer.pointee.height = try int32(height, "frame height")
        pointer.pointee.format = format.rawValue
        try check(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer \(width)x\(height)")
    }

    /// An audio frame with its own buffers.
    public convenience init(samples: Int, format: AVSampleFormat, sampleRate: Int, channels: Int) throws {
        self.init()
        let sampleCount = try int32(samples, "frame samples")
        let channelCount = try int32(channels, "frame channels")
        pointer.pointee.nb_samples = sampleCount
        pointer.pointee.format = format.rawValue
        pointer.pointee.sample_rate = try int32(sampleRate, "frame sample rate")
        av_channel_layout_default(&pointer.pointee.ch_layout, channelCount)
        try check(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer \(samples) samples")
        // Silence, not garbage: encoders reject NaN floats, and a short read must not be noise.
        av_samples_set_silence(pointer.pointee.extended_data, 0, sampleCount, channelCount, format)
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }

    public var width: Int { Int(pointer.pointee.width) }
    public var height: Int { Int(pointer.pointee.height) }
    public var pixelFormat: AVPixelFormat { AVPixelFormat(rawValue: pointer.pointee.format) }
    public var sampleFormat: AVSampleFormat { AVSampleFormat(rawValue: pointer.pointee.format) }
    public var sampleCount: Int { Int(pointer.pointee.nb_samples) }
    public var sampleRate: Int { Int(pointer.pointee.sample_rate) }
    public var channels: Int { Int(pointer.pointee.ch_layout.nb_channels) }
    public var isKeyframe: Bool { pointer.pointee.key_frame != 0 }

    public var pts: Int64 {
        get { pointer.pointee.pts }
        set { pointer.pointee.pts = newValue }
    }

    /// Forces (or stops forcing) an IDR when this frame is encoded.
    public var forceKeyframe: Bool {
        get { pointer.pointee.pict_type == AV_PICTURE_TYPE_I }
        set { pointer.pointee.pict_type = newValue ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE }
    }

    public func lineSize(_ index: Int) -> Int {
        withUnsafeBytes(of: pointer.pointee.linesize) { Int($0.load(fromByteOffset: index * 4, as: Int32.self)) }
    }

    public func data(_ index: Int) -> UnsafeMutablePointer<UInt8>? {
        withUnsafeBytes(of: pointer.pointee.data) {
            $0.load(fromByteOffset: index * MemoryLayout<UnsafeMutablePointer<UInt8>?>.stride,
                     as: UnsafeMutablePointer<UInt8>?.self)
        }
    }

    /// Makes the buffers writable (copying them if another frame shares them).
    public func makeWritable() throws {
        try check(av_frame_make_writable(pointer), "av_frame_make_writable")
    }

    /// A new reference to the same buffers (cheap; no pixel copy).
    public func reference() throws -> Frame {
        let copy = Frame()
        try check(av_frame_ref(copy.pointer, pointer), "av_frame_ref")
        return copy
    }
}
