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
    /// A trailer only follows a header: a URL that refused the connection has neither.
    private var headerWritten = false
    private var trailerWritten = false

    /// - Parameters:
    ///   - format: "flv" for rtmp://, "mpegts" for srt://.
    public init(url: String, format: String, tracks: [TrackInfo], options: [String: String] = [:]) throws {
        self.tracks = tracks
        // Every stored property is set from here on: on a throw, deinit frees what was allocated.
        try check(avformat_alloc_output_context2(&context, nil, format, url), "avformat_alloc_output_context2 \(format)")
        guard let ctx = context else { throw FFmpegError("avformat_alloc_output_context2 \(format)", message: "out of memory") }
        try Muxer.addStreams(to: ctx, tracks)
        let dict = AVOptions(options)
        let opened = avio_open2(&ctx.pointee.pb, url, AVIO_FLAG_WRITE, nil, &dict.pointer)
        if opened < 0 {
            var error = FFmpegError("open \(url)", code: opened)
            // libsrt reports every refused or unanswered call as an I/O error.
            if url.hasPrefix("srt://") { error.message += ": no SRT listener accepted the call (address, port, streamid or passphrase)" }
            throw error
        }
        try check(avformat_write_header(ctx, nil), "avformat_write_header \(format) to \(url)")
        headerWritten = true
    }

    deinit {
        guard let ctx = context else { return }
        if headerWritten, !trailerWritten { av_write_trailer(ctx) }
        avio_closep(&ctx.pointee.pb) // nil when the URL never opened
        avformat_free_context(ctx)
    }

    /// Writes one access unit of `track` (timestamps in that track's `TrackInfo.timebase`).
    public func write(track index: Int, pts: Int64, dts: Int64, isKeyframe: Bool, data: ByteBuffer) throws {
        guard let ctx = context, headerWritten, !trailerWritten, tracks.indices.contains(index) else {
            throw FFmpegError("URLWriter.write", message: "no open output for track \(index)")
        }
        let packet = try Packet(copying: data)
        packet.pts = pts
        packet.dts = dts
        packet.isKeyframe = isKeyframe
        packet.streamIndex = Int32(truncatingIfNeeded: index) // < nb_streams, checked above
        packet.rescale(from: tracks[index].timebase, to: Rational(ctx.pointee.streams[index]!.pointee.time_base))
        try check(av_interleaved_write_frame(ctx, packet.pointer), "av_interleaved_write_frame")
    }

    public func finish() throws {
        guard headerWritten, !trailerWritten else { return }
        trailerWritten = true
        try check(av_write_trailer(context), "av_write_trailer")
    }
}
