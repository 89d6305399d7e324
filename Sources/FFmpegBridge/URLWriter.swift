import CFFmpeg
import MediaCore
import NIOCore

/// libavformat output to a URL through its own protocols (rtmp://, srt://, file): what a
/// publisher such as `sluice push` needs. In-process; no ffmpeg binary.
///
/// Not Sendable: belongs to the thread that created it.
public final class URLWriter {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    public let tracks: [TrackInfo]
    private var trailerWritten = false

    /// - Parameters:
    ///   - format: "flv" for rtmp://, "mpegts" for srt://.
    public init(url: String, format: String, tracks: [TrackInfo], options: [String: String] = [:]) throws {
        self.tracks = tracks
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        try check(avformat_alloc_output_context2(&ctx, nil, format, url), "avformat_alloc_output_context2 \(format)")
        context = ctx
        try Muxer.addStreams(to: ctx!, tracks)
        let dict = AVOptions(options)
        try check(avio_open2(&ctx!.pointee.pb, url, AVIO_FLAG_WRITE, nil, &dict.pointer), "avio_open2 \(url)")
        try check(avformat_write_header(ctx, nil), "avformat_write_header \(format)")
    }

    deinit {
        if let ctx = context {
            if !trailerWritten { av_write_trailer(ctx) }
            avio_closep(&ctx.pointee.pb)
            avformat_free_context(ctx)
        }
    }

    /// Writes one access unit of `track` (timestamps in that track's `TrackInfo.timebase`).
    public func write(track index: Int, pts: Int64, dts: Int64, isKeyframe: Bool, data: ByteBuffer) throws {
        let packet = try Packet(copying: data)
        packet.pts = pts
        packet.dts = dts
        packet.isKeyframe = isKeyframe
        packet.streamIndex = Int32(index)
        packet.rescale(from: tracks[index].timebase, to: Rational(context!.pointee.streams[index]!.pointee.time_base))
        try check(av_interleaved_write_frame(context, packet.pointer), "av_interleaved_write_frame")
    }

    public func finish() throws {
        guard !trailerWritten else { return }
        trailerWritten = true
        try check(av_write_trailer(context), "av_write_trailer")
    }
}
