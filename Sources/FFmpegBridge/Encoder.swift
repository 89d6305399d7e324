import CFFmpeg
import MediaCore

public struct VideoEncoderSettings: Sendable {
    public var codecName: String = "libx264"
    public var width: Int
    public var height: Int
    public var pixelFormat: AVPixelFormat = AV_PIX_FMT_YUV420P
    public var timebase: Rational
    public var frameRate: Rational
    /// Target bitrate in bits per second; VBV caps it at `maxBitrate` over `bufferSize`.
    public var bitrate: Int
    public var maxBitrate: Int?
    public var bufferSize: Int?
    /// Frames between keyframes; scene-cut keyframes are off so every rung stays aligned.
    public var gopSize: Int
    public var maxBFrames: Int = 0
    public var threads: Int = 1
    /// Private codec options (`preset`, `tune`, `profile`, `x264-params`, ...).
    public var options: [String: String] = [:]
    /// Put SPS/PPS in extradata (what mp4/fMP4 and RTMP want) instead of only in-band.
    public var globalHeader: Bool = true

    public init(codecName: String = "libx264", width: Int, height: Int, timebase: Rational, frameRate: Rational,
                bitrate: Int, maxBitrate: Int? = nil, bufferSize: Int? = nil, gopSize: Int,
                options: [String: String] = [:]) {
        self.codecName = codecName
        self.width = width
        self.height = height
        self.timebase = timebase
        self.frameRate = frameRate
        self.bitrate = bitrate
        self.maxBitrate = maxBitrate
        self.bufferSize = bufferSize
        self.gopSize = gopSize
        self.options = options
    }
}

public struct AudioEncoderSettings: Sendable {
    public var codecName: String = "aac"
    public var sampleRate: Int
    public var channels: Int
    public var bitrate: Int
    /// nil: the encoder's preferred (first supported) sample format.
    public var sampleFormat: AVSampleFormat?
    public var options: [String: String] = [:]
    public var globalHeader: Bool = true

    public init(codecName: String = "aac", sampleRate: Int, channels: Int, bitrate: Int,
                sampleFormat: AVSampleFormat? = nil, options: [String: String] = [:]) {
        self.codecName = codecName
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitrate = bitrate
        self.sampleFormat = sampleFormat
        self.options = options
    }
}

/// A libavcodec encoder on the send/receive API.
///
/// Not Sendable: an encoder belongs to the codec thread that created it.
public final class Encoder {
    private let context: CodecContext

    public var codecName: String { context.name }
    /// SPS/PPS (avcC-ready Annex B for libx264), AudioSpecificConfig for AAC, OpusHead for Opus.
    public var extradata: [UInt8] { context.extradata }
    public var timebase: Rational { Rational(context.pointer.pointee.time_base) }
    /// Samples per frame an audio encoder requires (0 for variable).
    public var frameSize: Int { Int(context.pointer.pointee.frame_size) }
    public var sampleFormat: AVSampleFormat { context.pointer.pointee.sample_fmt }
    public var bitrate: Int { Int(context.pointer.pointee.bit_rate) }

    public init(video s: VideoEncoderSettings) throws {
        context = try CodecContext(codec: try Encoder.find(s.codecName))
        let ctx = context.pointer
        ctx.pointee.width = try int32(s.width, "encoder width")
        ctx.pointee.height = try int32(s.height, "encoder height")
        ctx.pointee.pix_fmt = s.pixelFormat
        ctx.pointee.time_base = s.timebase.av
        ctx.pointee.framerate = s.frameRate.av
        ctx.pointee.bit_rate = Int64(s.bitrate)
        if let max = s.maxBitrate { ctx.pointee.rc_max_rate = Int64(max) }
        if let buf = s.bufferSize { ctx.pointee.rc_buffer_size = Int32(clamping: buf) }
        ctx.pointee.gop_size = try int32(s.gopSize, "GOP size")
        ctx.pointee.keyint_min = ctx.pointee.gop_size
        ctx.pointee.max_b_frames = try int32(s.maxBFrames, "B-frames")
        ctx.pointee.thread_count = try int32(s.threads, "thread count")
        if s.globalHeader { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        try context.open(options: s.options)
    }

    public init(audio s: AudioEncoderSettings) throws {
        let codec = try Encoder.find(s.codecName)
        context = try CodecContext(codec: codec)
        let ctx = context.pointer
        ctx.pointee.sample_rate = try int32(s.sampleRate, "encoder sample rate")
        av_channel_layout_default(&ctx.pointee.ch_layout, try int32(s.channels, "encoder channels"))
        ctx.pointee.bit_rate = Int64(s.bitrate)
        ctx.pointee.time_base = AVRational(num: 1, den: ctx.pointee.sample_rate)
        if let format = s.sampleFormat {
            ctx.pointee.sample_fmt = format
        } else if let formats = codec.pointee.sample_fmts {
            ctx.pointee.sample_fmt = formats.pointee
        } else {
            ctx.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        }
        if s.globalHeader { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        try context.open(options: s.options)
    }

    private static func find(_ name: String) throws -> UnsafePointer<AVCodec> {
        guard let codec = avcodec_find_encoder_by_name(name) else {
            throw FFmpegError("avcodec_find_encoder_by_name", message: "no encoder named \"\(name)\"")
        }
        return codec
    }

    /// Sends one frame, or `nil` to flush at end of stream.
    public func send(_ frame: Frame?) throws -> SendStatus {
        let result = avcodec_send_frame(context.pointer, frame?.pointer)
        switch result {
        case FFmpegError.again: return .outputPending
        case FFmpegError.endOfFile: return .ended
        default:
            try check(result, "avcodec_send_frame \(context.name)")
            return .accepted
        }
    }

    /// The next encoded packet, if one is ready (timestamps in `timebase`).
    public func receive() throws -> CodecOutput<Packet> {
        let packet = Packet()
        let result = avcodec_receive_packet(context.pointer, packet.pointer)
        switch result {
        case FFmpegError.again: return .needsInput
        case FFmpegError.endOfFile: return .endOfStream
        default:
            try check(result, "avcodec_receive_packet \(context.name)")
            return .output(packet)
        }
    }

    /// Sends a frame (or `nil` to flush) and collects every packet it releases.
    public func encode(_ frame: Frame?) throws -> [Packet] {
        var packets: [Packet] = []
        while true {
            let status = try send(frame)
            drain: while true {
                switch try receive() {
                case .output(let p): packets.append(p)
                case .needsInput, .endOfStream: break drain
                }
            }
            if status != .outputPending { return packets }
        }
    }

    /// Changes the target bitrate between frames. libx264 reconfigures itself on the next
    /// frame (x264_encoder_reconfig through libavcodec); the VBV cap moves with it.
    public func setBitrate(_ bitrate: Int, maxBitrate: Int? = nil, bufferSize: Int? = nil) {
        let ctx = context.pointer
        ctx.pointee.bit_rate = Int64(bitrate)
        if let maxBitrate { ctx.pointee.rc_max_rate = Int64(maxBitrate) }
        if let bufferSize { ctx.pointee.rc_buffer_size = Int32(clamping: bufferSize) }
    }
}
