import CFFmpeg
import MediaCore
import NIOCore

/// libavformat demuxer over a file or URL. Product code uses it for files (bench input) and,
/// with a custom AVIO, for MPEG-TS over SRT.
///
/// Not Sendable: belongs to the thread that created it.
public final class Demuxer {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var io: UnsafeMutablePointer<AVIOContext>?
    private let reader: ReadBox?
    public private(set) var streams: [Stream] = []

    /// Source of bytes for a custom-AVIO demuxer: fills the buffer, returns the count, or 0 at
    /// end of input. It may block (it runs on the demux thread).
    public typealias Read = (UnsafeMutableRawBufferPointer) -> Int

    final class ReadBox {
        let read: Read
        init(_ read: @escaping Read) { self.read = read }
    }

    public struct Stream: Sendable {
        public var index: Int
        /// nil for codecs Sluice does not carry (data, subtitles, ...).
        public var track: TrackInfo?
        /// FFmpeg's codec name (e.g. "h264"), also for codecs without a `CodecID`.
        public var codecName: String
        /// Video or audio, also for codecs without a `CodecID`; nil for data and subtitles.
        public var kind: TrackKind?
        /// The stream's timebase and audio parameters, also for codecs without a `CodecID`.
        public var timebase: Rational
        public var sampleRate: Int
        public var channels: Int
    }

    public convenience init(url: String, options: [String: String] = [:]) throws {
        try self.init(url: url, format: nil, options: options, reader: nil)
    }

    /// A demuxer reading through `read` (e.g. MPEG-TS arriving over SRT). `format` names the
    /// container ("mpegts") so no probing delays the first packet.
    public convenience init(format: String, options: [String: String] = [:], read: @escaping Read) throws {
        try self.init(url: "", format: format, options: options, reader: ReadBox(read))
    }

    private init(url: String, format: String?, options: [String: String], reader: ReadBox?) throws {
        self.reader = reader
        // Every stored property is set from here on: on a throw, deinit frees what was allocated.
        context = avformat_alloc_context()
        guard let ctx = context else { throw FFmpegError("avformat_alloc_context", message: "out of memory") }
        if let reader {
            let size: Int32 = 65536
            guard let buffer = av_malloc(Int(size)) else { throw FFmpegError("av_malloc", message: "out of memory") }
            guard let avio = avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), size, 0,
                                                Unmanaged.passUnretained(reader).toOpaque(), { opaque, buf, size in
                      let box = Unmanaged<Demuxer.ReadBox>.fromOpaque(opaque!).takeUnretainedValue()
                      let n = box.read(UnsafeMutableRawBufferPointer(start: buf, count: Int(size)))
                      return n > 0 ? Int32(clamping: n) : FFmpegError.endOfFile
                  }, nil, nil) else {
                av_free(buffer)
                throw FFmpegError("avio_alloc_context", message: "out of memory")
            }
            io = avio
            ctx.pointee.pb = avio
            ctx.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        }
        let dict = AVOptions(options)
        let inputFormat = format.flatMap { av_find_input_format($0) }
        if let format, inputFormat == nil {
            throw FFmpegError("av_find_input_format", message: "no demuxer named \"\(format)\"")
        }
        // On failure avformat_open_input frees the context and sets it to nil (not a custom AVIO).
        try check(avformat_open_input(&context, url, inputFormat, &dict.pointer),
                  "avformat_open_input \(url.isEmpty ? format ?? "" : url)")
        try check(avformat_find_stream_info(context, nil), "avformat_find_stream_info")
        let kept = Demuxer.bestProgramStreams(context!)
        var found: [Stream] = []
        for i in 0..<Int(context!.pointee.nb_streams) {
            let st = context!.pointee.streams[i]!
            if let kept, !kept.contains(i) {
                // Another variant: libavformat's hls demuxer stops fetching a playlist whose streams are all discarded.
                st.pointee.discard = AVDISCARD_ALL
                found.append(Stream(index: i, track: nil, codecName: "none", kind: nil, timebase: Rational(st.pointee.time_base),
                                    sampleRate: 0, channels: 0))
            } else {
                found.append(Demuxer.describe(st, index: i))
            }
        }
        streams = found
    }

    /// With several programs (the variants of an HLS multivariant playlist): the stream indexes
    /// of the one with the highest `variant_bitrate` (the first when none says), so a pull reads
    /// one variant, not all of them. nil with at most one program: every stream is read.
    static func bestProgramStreams(_ ctx: UnsafeMutablePointer<AVFormatContext>) -> Set<Int>? {
        let count = Int(ctx.pointee.nb_programs)
        guard count > 1, let programs = ctx.pointee.programs else { return nil }
        var best: (rate: Int, streams: Set<Int>)?
        for p in 0..<count {
            guard let program = programs[p] else { continue }
            var rate = 0
            if let entry = av_dict_get(program.pointee.metadata, "variant_bitrate", nil, 0), let value = entry.pointee.value {
                rate = Int(String(cString: value)) ?? 0
            }
            var indexes = Set<Int>()
            for s in 0..<Int(program.pointee.nb_stream_indexes) {
                if let list = program.pointee.stream_index { indexes.insert(Int(list[s])) }
            }
            if !indexes.isEmpty, best.map({ rate > $0.rate }) ?? true { best = (rate, indexes) }
        }
        return best?.streams
    }

    deinit {
        avformat_close_input(&context)
        Demuxer.freeIO(&io)
    }

    private static func freeIO(_ io: inout UnsafeMutablePointer<AVIOContext>?) {
        guard io != nil else { return }
        av_freep(&io!.pointee.buffer) // the buffer may have been replaced; free the current one
        avio_context_free(&io)
    }

    static func describe(_ st: UnsafeMutablePointer<AVStream>, index: Int) -> Stream {
        let par = st.pointee.codecpar!.pointee
        let name = String(cString: avcodec_get_name(par.codec_id))
        let extradata: ByteBuffer? = par.extradata.flatMap { data in
            par.extradata_size > 0 ? ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: Int(par.extradata_size))) : nil
        }
        var track: TrackInfo? = nil
        if let codec = CodecID(rawValue: name) {
            let rate = st.pointee.avg_frame_rate
            track = TrackInfo(codec: codec, timebase: Rational(st.pointee.time_base), extradata: extradata,
                              width: Int(par.width), height: Int(par.height),
                              frameRate: rate.den > 0 && rate.num > 0 ? Rational(rate) : nil,
                              sampleRate: Int(par.sample_rate), channels: Int(par.ch_layout.nb_channels),
                              bitrate: par.bit_rate > 0 ? Int(par.bit_rate) : nil)
        }
        let kind: TrackKind? = switch par.codec_type {
        case AVMEDIA_TYPE_VIDEO: .video
        case AVMEDIA_TYPE_AUDIO: .audio
        default: nil
        }
        return Stream(index: index, track: track, codecName: name, kind: kind, timebase: Rational(st.pointee.time_base),
                      sampleRate: Int(par.sample_rate), channels: Int(par.ch_layout.nb_channels))
    }

    /// Codec parameters of input stream `index`, for a muxer that copies the stream (`ClipCutter`).
    func codecParameters(_ index: Int) -> UnsafeMutablePointer<AVCodecParameters>? {
        guard let ctx = context, index >= 0, index < Int(ctx.pointee.nb_streams) else { return nil }
        return ctx.pointee.streams[index]?.pointee.codecpar
    }

    /// The next packet (with `streamIndex` set), or nil at end of input.
    public func read() throws -> Packet? {
        let packet = Packet()
        let result = av_read_frame(context, packet.pointer)
        if result == FFmpegError.endOfFile { return nil }
        try check(result, "av_read_frame")
        return packet
    }
}
