import CFFmpeg
import CMediaShims
import MediaCore
import NIOCore

/// libavformat muxer writing into memory through a custom AVIO: the caller writes packets,
/// then takes the bytes produced so far (`takeOutput()`), e.g. one fMP4 fragment per flush.
///
/// Not Sendable: belongs to the thread that created it (a packager thread).
public final class Muxer {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var io: UnsafeMutablePointer<AVIOContext>?
    private let sink: Sink
    private let sinkRef: Unmanaged<Sink>
    /// Each input track's timebase, to rescale packets into the stream's (muxer-chosen) timebase.
    public let tracks: [TrackInfo]
    private var headerWritten = false
    private var trailerWritten = false

    /// Collects what the AVIO write callback gets.
    final class Sink {
        var buffer = ByteBuffer()
    }

    /// - Parameters:
    ///   - format: libavformat muxer name ("mp4", "mpegts").
    ///   - options: muxer private options, e.g. `["movflags": "frag_custom+empty_moov"]`.
    public init(format: String, tracks: [TrackInfo], options: [String: String] = [:]) throws {
        self.tracks = tracks
        sink = Sink()
        sinkRef = Unmanaged.passRetained(sink)
        // On a throw, deinit frees what was allocated (every stored property is set by then).
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        do {
            try check(avformat_alloc_output_context2(&ctx, nil, format, nil), "avformat_alloc_output_context2 \(format)")
            context = ctx
            // AVIO owns this buffer from here on (it may reallocate it); freed with the context.
            let size: Int32 = 64 * 1024
            guard let buffer = av_malloc(Int(size)) else { throw FFmpegError("av_malloc", message: "out of memory") }
            io = avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), size, 1, sinkRef.toOpaque(), nil,
                                    { opaque, data, count in
                                        guard let opaque, let data, count > 0 else { return count }
                                        let sink = Unmanaged<Sink>.fromOpaque(opaque).takeUnretainedValue()
                                        sink.buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: Int(count)))
                                        return count
                                    }, nil)
            guard let io else {
                av_free(buffer)
                throw FFmpegError("avio_alloc_context", message: "out of memory")
            }
            ctx!.pointee.pb = io
            ctx!.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
            try Muxer.addStreams(to: ctx!, tracks)
        }
        let dict = AVOptions(options)
        try check(avformat_write_header(ctx, &dict.pointer), "avformat_write_header \(format)")
        headerWritten = true
        avio_flush(io)
    }

    deinit {
        if let ctx = context {
            avformat_free_context(ctx)
        }
        if io != nil {
            av_freep(&io!.pointee.buffer)
            avio_context_free(&io)
        }
        // Balances passRetained in init: the sink outlives every AVIO callback.
        sinkRef.release()
    }

    /// One output stream per track, with codec parameters from the track (also for `URLWriter`).
    static func addStreams(to ctx: UnsafeMutablePointer<AVFormatContext>, _ tracks: [TrackInfo]) throws {
        for track in tracks {
            guard let st = avformat_new_stream(ctx, nil) else { throw FFmpegError("avformat_new_stream", message: "out of memory") }
            try configure(st, track)
        }
    }

    private static func configure(_ st: UnsafeMutablePointer<AVStream>, _ track: TrackInfo) throws {
        let par = st.pointee.codecpar!
        par.pointee.codec_type = track.kind == .video ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO
        guard let codec = avcodec_find_decoder_by_name(track.codec.rawValue) else {
            throw FFmpegError("avcodec_find_decoder_by_name", message: "no codec \(track.codec.rawValue)")
        }
        par.pointee.codec_id = codec.pointee.id
        st.pointee.time_base = track.timebase.av
        if track.kind == .video {
            // Sizes come from a publisher's SPS or metadata: checked, never trapped on.
            par.pointee.width = try int32(track.width, "video width")
            par.pointee.height = try int32(track.height, "video height")
            if let rate = track.frameRate { st.pointee.avg_frame_rate = rate.av }
        } else {
            par.pointee.sample_rate = try int32(track.sampleRate, "sample rate")
            av_channel_layout_default(&par.pointee.ch_layout, try int32(max(track.channels, 1), "channel count"))
            // Nominal frame sizes; every packet also carries its exact duration.
            if track.codec == .aac { par.pointee.frame_size = 1024 }
            if track.codec == .opus { par.pointee.frame_size = try int32(max(track.sampleRate, 48000) / 50, "Opus frame size") }
        }
        if let bitrate = track.bitrate { par.pointee.bit_rate = Int64(bitrate) }
        if let extra = track.extradata, extra.readableBytes > 0 {
            let count = extra.readableBytes
            let size = try int32(count, "extradata size")
            guard let mem = av_mallocz(count + Int(AV_INPUT_BUFFER_PADDING_SIZE)) else {
                throw FFmpegError("av_mallocz", message: "out of memory")
            }
            extra.withUnsafeReadableBytes { raw in
                mem.copyMemory(from: raw.baseAddress!, byteCount: count)
            }
            par.pointee.extradata = mem.assumingMemoryBound(to: UInt8.self)
            par.pointee.extradata_size = size
        }
    }

    /// The muxer's timebase for `track` (after the header; mp4 picks its own timescale).
    public func timebase(track index: Int) -> Rational {
        Rational(context!.pointee.streams[index]!.pointee.time_base)
    }

    /// Writes one access unit of `track` (timestamps in that track's `TrackInfo.timebase`).
    /// The packet is only queued by fragmenting muxers until `flush()`.
    public func write(track index: Int, pts: Int64, dts: Int64, duration: Int64, isKeyframe: Bool, data: ByteBuffer) throws {
        let packet = try Packet(copying: data)
        packet.pts = pts
        packet.dts = dts
        packet.duration = duration
        packet.isKeyframe = isKeyframe
        packet.streamIndex = try int32(index, "stream index")
        packet.rescale(from: tracks[index].timebase, to: timebase(track: index))
        // av_write_frame, not the interleaving variant: the caller already orders by dts per part.
        try check(av_write_frame(context, packet.pointer), "av_write_frame")
    }

    /// Ends the current fragment (mp4 with frag_custom: one moof+mdat) and pushes it to memory.
    public func flush() throws {
        try check(av_write_frame(context, nil), "av_write_frame(flush)")
        avio_flush(io)
    }

    /// Writes the trailer (if any) and flushes. Further writes fail.
    public func finish() throws {
        guard headerWritten, !trailerWritten else { return }
        trailerWritten = true
        try check(av_write_trailer(context), "av_write_trailer")
        avio_flush(io)
    }

    /// The bytes written since the last call (the header after init, a fragment after `flush()`).
    public func takeOutput() -> ByteBuffer {
        let out = sink.buffer
        sink.buffer = ByteBuffer()
        return out
    }
}
