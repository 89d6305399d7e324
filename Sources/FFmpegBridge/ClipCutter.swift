import CFFmpeg
import MediaCore

/// Cuts fragmented MP4 (an init segment followed by its media segments, one byte stream, as
/// HLS carries it) into one MP4 file without re-encoding: from the keyframe at or before `from`
/// to the end of the GOP that covers `to`, video and audio, timestamps from 0, the moov box in
/// front (faststart) so a browser starts playing before the download ends.
///
/// Times are seconds after the input's first packet (its first segment's start). Streams the
/// input: only the GOP before `from` is held. Blocking (libavformat and file writes): call it
/// on a thread of its own.
public enum ClipCutter {
    public struct Result: Sendable, Equatable {
        /// Seconds of media in the clip (the video's, else the audio's).
        public var duration: Double
        /// Where the clip starts, seconds after the input's start (a keyframe at or before `from`).
        public var start: Double
        public var videoFrames: Int
        public var audioPackets: Int
    }

    /// The input had no media (or no keyframe) in the range asked for.
    public struct NothingInRange: Error, CustomStringConvertible {
        public var description: String
    }

    /// A GOP held before `from` larger than this is refused (a source without keyframes).
    static let maxHeldBytes = 256 << 20
    static let epsilon = 1e-6

    public static func cut(from: Double, to: Double, output path: String, read: @escaping Demuxer.Read) throws -> Result {
        let demuxer = try Demuxer(format: "mp4", read: read)
        let video = demuxer.streams.first { $0.kind == .video }
        let audio = demuxer.streams.first { $0.kind == .audio }
        guard let driver = video ?? audio else { throw NothingInRange(description: "the source has no audio or video track") }
        let other = video == nil ? nil : audio
        var cut = Cut(demuxer: demuxer, driver: driver, other: other, from: from, to: to, path: path)
        while let packet = try demuxer.read() {
            if try cut.take(packet) { break }
        }
        return try cut.finish()
    }

    /// The state of one cut: before the start keyframe (holding the current GOP), writing, or
    /// past the end keyframe (only audio up to the end still goes in).
    private struct Cut {
        enum Phase { case before, writing, draining }
        let demuxer: Demuxer
        let driver: Demuxer.Stream
        let other: Demuxer.Stream?
        let from: Double, to: Double
        let path: String
        var phase = Phase.before
        var origin: Double?
        /// Driver timestamp (its timebase) of the clip's first keyframe.
        var startKey: Int64?
        var startSeconds = 0.0
        var endSeconds = Double.infinity
        var held: [Packet] = []
        var heldBytes = 0
        /// Audio read ahead of the video, written once the video has passed it (so the end
        /// keyframe also ends the audio).
        var pendingOther: [Packet] = []
        var writer: ClipWriter?
        var driverEnd = -Double.infinity
        var videoFrames = 0, audioPackets = 0
        var otherDone = false

        init(demuxer: Demuxer, driver: Demuxer.Stream, other: Demuxer.Stream?, from: Double, to: Double, path: String) {
            self.demuxer = demuxer
            self.driver = driver
            self.other = other
            self.from = from
            self.to = to
            self.path = path
        }

        func seconds(_ ts: Int64, _ tb: Rational) -> Double {
            tb.den == 0 ? 0 : Double(ts) * Double(tb.num) / Double(tb.den)
        }

        /// The packet's presentation time in seconds, nil without timestamps.
        func time(_ p: Packet, _ s: Demuxer.Stream) -> Double? {
            let ts = p.pts != noPTS ? p.pts : p.dts
            return ts == noPTS ? nil : seconds(ts, s.timebase)
        }

        /// Returns true when nothing more is needed from the input.
        mutating func take(_ p: Packet) throws -> Bool {
            let index = Int(p.streamIndex)
            let isDriver = index == driver.index
            guard isDriver || index == other?.index, let t = time(p, isDriver ? driver : other!) else { return false }
            if isDriver, origin == nil { origin = t }
            let isKey = isDriver && (driver.kind == .audio || p.isKeyframe)
            switch phase {
            case .before:
                if isKey {
                    let relative = t - (origin ?? t)
                    if relative <= from + ClipCutter.epsilon || startKey == nil && relative > from {
                        // A later keyframe at or before `from` replaces the GOP held so far.
                        let driverIndex = Int32(truncatingIfNeeded: driver.index), me = self
                        held.removeAll { $0.streamIndex == driverIndex || (me.time($0, me.other!) ?? 0) < t - 1 }
                        heldBytes = held.reduce(0) { $0 + $1.size }
                        startKey = p.pts != noPTS ? p.pts : p.dts
                        startSeconds = t
                    }
                    if relative > from + ClipCutter.epsilon {
                        try startWriting()
                        return try take(p)
                    }
                } else if isDriver && startKey == nil {
                    return false // video before the first keyframe cannot be decoded
                }
                held.append(p)
                heldBytes += p.size
                if heldBytes > ClipCutter.maxHeldBytes {
                    throw NothingInRange(description: "more than \(ClipCutter.maxHeldBytes >> 20) MiB without a keyframe")
                }
            case .writing:
                if isDriver {
                    if isKey, t - (origin ?? t) > to + ClipCutter.epsilon, videoFrames + audioPackets > 0 {
                        endSeconds = t
                        phase = .draining
                        try writePendingOther(before: endSeconds)
                        pendingOther.removeAll()
                        return other == nil || otherDone
                    }
                    try write(p, isDriver: true, t: t)
                    try writePendingOther(before: t)
                } else if t >= startSeconds - ClipCutter.epsilon {
                    pendingOther.append(p)
                }
            case .draining:
                if !isDriver {
                    if t < endSeconds - ClipCutter.epsilon { try write(p, isDriver: false, t: t) } else { otherDone = true }
                }
                return other == nil || otherDone
            }
            return false
        }

        mutating func startWriting() throws {
            phase = .writing
            let streams = [driver] + (other.map { [$0] } ?? [])
            writer = try ClipWriter(path: path, demuxer: demuxer, streams: streams)
            let packets = held
            held = []
            heldBytes = 0
            for p in packets {
                let isDriver = Int(p.streamIndex) == driver.index
                guard let t = time(p, isDriver ? driver : other!) else { continue }
                if isDriver {
                    try write(p, isDriver: true, t: t)
                } else if t >= startSeconds - ClipCutter.epsilon {
                    pendingOther.append(p)
                }
            }
        }

        mutating func writePendingOther(before t: Double) throws {
            while let first = pendingOther.first, let s = time(first, other!), s < t - ClipCutter.epsilon {
                pendingOther.removeFirst()
                try write(first, isDriver: false, t: s)
            }
        }

        mutating func write(_ p: Packet, isDriver: Bool, t: Double) throws {
            guard let writer, let startKey else { return }
            let stream = isDriver ? driver : other!
            let shift = isDriver ? startKey : av_rescale_q(startKey, driver.timebase.av, stream.timebase.av)
            if isDriver {
                driverEnd = max(driverEnd, t + seconds(max(0, p.duration), stream.timebase))
                if driver.kind == .video { videoFrames += 1 } else { audioPackets += 1 }
            } else {
                audioPackets += 1
            }
            try writer.write(p, output: isDriver ? 0 : 1, timebase: stream.timebase, shift: shift)
        }

        mutating func finish() throws -> Result {
            if phase == .before, startKey != nil { try startWriting() }
            if phase == .writing { try writePendingOther(before: .infinity) }
            guard let writer, videoFrames + audioPackets > 0 else {
                throw NothingInRange(description: "no keyframe and media between \(from) s and \(to) s of the source")
            }
            try writer.finish()
            return Result(duration: max(0, driverEnd - startSeconds), start: startSeconds - (origin ?? startSeconds),
                          videoFrames: videoFrames, audioPackets: audioPackets)
        }
    }
}

/// libavformat's mp4 muxer writing a file with the streams copied from a demuxer's.
/// Not Sendable: one cut's thread owns it.
final class ClipWriter {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var headerWritten = false
    private var trailerWritten = false

    init(path: String, demuxer: Demuxer, streams: [Demuxer.Stream]) throws {
        // "file:" so that a name with a colon is not taken for a protocol.
        let url = "file:" + path
        try check(avformat_alloc_output_context2(&context, nil, "mp4", url), "avformat_alloc_output_context2 mp4")
        guard let ctx = context else { throw FFmpegError("avformat_alloc_output_context2 mp4", message: "out of memory") }
        for s in streams {
            guard let st = avformat_new_stream(ctx, nil), let par = demuxer.codecParameters(s.index) else {
                throw FFmpegError("avformat_new_stream", message: "out of memory")
            }
            try check(avcodec_parameters_copy(st.pointee.codecpar, par), "avcodec_parameters_copy")
            st.pointee.codecpar.pointee.codec_tag = 0
            st.pointee.time_base = s.timebase.av
        }
        try check(avio_open2(&ctx.pointee.pb, url, AVIO_FLAG_WRITE, nil, nil), "open \(path)")
        // faststart: the muxer rewrites the file with the moov box in front after the trailer.
        let options = AVOptions(["movflags": "+faststart"])
        try check(avformat_write_header(ctx, &options.pointer), "avformat_write_header mp4")
        headerWritten = true
    }

    deinit {
        guard let ctx = context else { return }
        if headerWritten, !trailerWritten { av_write_trailer(ctx) }
        avio_closep(&ctx.pointee.pb)
        avformat_free_context(ctx)
    }

    /// Writes `packet` (timestamps in `timebase`, moved back by `shift`) to output stream `output`.
    func write(_ packet: Packet, output: Int, timebase: Rational, shift: Int64) throws {
        guard let ctx = context, headerWritten, !trailerWritten, output < Int(ctx.pointee.nb_streams) else {
            throw FFmpegError("ClipWriter.write", message: "no open output for stream \(output)")
        }
        if packet.pts != noPTS { packet.pts -= shift }
        if packet.dts != noPTS { packet.dts -= shift }
        packet.pointer.pointee.pos = -1
        packet.streamIndex = Int32(truncatingIfNeeded: output) // < nb_streams, checked above
        packet.rescale(from: timebase, to: Rational(ctx.pointee.streams[output]!.pointee.time_base))
        try check(av_interleaved_write_frame(ctx, packet.pointer), "av_interleaved_write_frame")
    }

    func finish() throws {
        guard headerWritten, !trailerWritten else { return }
        trailerWritten = true
        try check(av_write_trailer(context), "av_write_trailer")
    }
}
