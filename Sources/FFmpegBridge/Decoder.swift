import CFFmpeg
import MediaCore
import NIOCore

/// A libavcodec decoder on the send/receive API.
///
/// Not Sendable: a decoder belongs to the codec thread that created it.
public final class Decoder {
    private let context: CodecContext
    private let frame = Frame()

    public var codecName: String { context.name }

    /// A decoder for `codec` (FFmpeg's decoder name, e.g. "h264"), with optional extradata
    /// (avcC, AudioSpecificConfig, ...). `threads` 0 lets FFmpeg choose; slice threads add no delay.
    public init(codecName: String, extradata: [UInt8] = [], timebase: Rational? = nil,
                sampleRate: Int = 0, channels: Int = 0, threads: Int = 1,
                threadType: ThreadType = .frame) throws {
        guard let codec = avcodec_find_decoder_by_name(codecName) else {
            throw FFmpegError("avcodec_find_decoder_by_name", message: "no decoder named \"\(codecName)\"")
        }
        context = try CodecContext(codec: codec)
        let ctx = context.pointer
        if let timebase { ctx.pointee.pkt_timebase = timebase.av }
        if sampleRate > 0 { ctx.pointee.sample_rate = try int32(sampleRate, "decoder sample rate") }
        if channels > 0 { av_channel_layout_default(&ctx.pointee.ch_layout, try int32(channels, "decoder channels")) }
        ctx.pointee.thread_count = try int32(threads, "thread count")
        ctx.pointee.thread_type = threadType.rawValue
        try extradata.withUnsafeBytes { try context.setExtradata($0) }
        try context.open(options: [:])
    }

    public convenience init(track: TrackInfo, threads: Int = 1, threadType: ThreadType = .frame) throws {
        let extradata = track.extradata.map { Array($0.readableBytesView) } ?? []
        try self.init(codecName: track.codec.rawValue, extradata: extradata, timebase: track.timebase,
                      sampleRate: track.sampleRate, channels: track.channels,
                      threads: threads, threadType: threadType)
    }

    /// Sends one packet, or `nil` to flush at end of stream.
    public func send(_ packet: Packet?) throws -> SendStatus {
        let result = avcodec_send_packet(context.pointer, packet?.pointer)
        switch result {
        case FFmpegError.again: return .outputPending
        case FFmpegError.endOfFile: return .ended
        default:
            try check(result, "avcodec_send_packet \(context.name)")
            return .accepted
        }
    }

    /// The next decoded frame, if one is ready. The frame is the caller's to keep.
    public func receive() throws -> CodecOutput<Frame> {
        let result = avcodec_receive_frame(context.pointer, frame.pointer)
        switch result {
        case FFmpegError.again: return .needsInput
        case FFmpegError.endOfFile: return .endOfStream
        default:
            try check(result, "avcodec_receive_frame \(context.name)")
            let out = Frame()
            av_frame_move_ref(out.pointer, frame.pointer)
            // best_effort_timestamp repairs missing/odd pts the way ffmpeg's CLI does.
            out.pts = out.pointer.pointee.best_effort_timestamp
            return .output(out)
        }
    }

    /// Sends a packet and collects every frame it releases (the common live loop).
    public func decode(_ packet: Packet?) throws -> [Frame] {
        var frames: [Frame] = []
        while true {
            let status = try send(packet)
            drain: while true {
                switch try receive() {
                case .output(let f): frames.append(f)
                case .needsInput, .endOfStream: break drain
                }
            }
            if status != .outputPending { return frames }
        }
    }

    /// Drops buffered state, e.g. before a discontinuity.
    public func flushBuffers() {
        avcodec_flush_buffers(context.pointer)
    }
}

public enum ThreadType: Int32, Sendable {
    case frame = 1 // FF_THREAD_FRAME: throughput, adds one frame of delay per thread
    case slice = 2 // FF_THREAD_SLICE: no added delay
}
