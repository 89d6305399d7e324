import CFFmpeg
import MediaCore
import NIOCore

/// libavformat demuxer over a file or URL. Product code uses it for files (bench input) and,
/// with a custom AVIO, for MPEG-TS over SRT.
///
/// Not Sendable: belongs to the thread that created it.
public final class Demuxer {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    public let streams: [Stream]

    public struct Stream: Sendable {
        public var index: Int
        /// nil for codecs Sluice does not carry (data, subtitles, ...).
        public var track: TrackInfo?
        /// FFmpeg's codec name (e.g. "h264"), also for codecs without a `CodecID`.
        public var codecName: String
    }

    public init(url: String, options: [String: String] = [:]) throws {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        var dict: OpaquePointer? = nil
        defer { av_dict_free(&dict) }
        for (k, v) in options { av_dict_set(&dict, k, v, 0) }
        try check(avformat_open_input(&ctx, url, nil, &dict), "avformat_open_input \(url)")
        context = ctx
        do {
            try check(avformat_find_stream_info(ctx, nil), "avformat_find_stream_info \(url)")
        } catch {
            avformat_close_input(&context)
            throw error
        }
        var found: [Stream] = []
        for i in 0..<Int(ctx!.pointee.nb_streams) {
            let st = ctx!.pointee.streams[i]!
            found.append(Demuxer.describe(st, index: i))
        }
        streams = found
    }

    deinit {
        avformat_close_input(&context)
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
        return Stream(index: index, track: track, codecName: name)
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
