import CFFmpeg
import NIOCore

/// Reads a whole resource through libavformat's protocols (http://, https://, file:): what
/// `sluice clip` needs to fetch a playlist and its segments without another HTTP stack.
/// Blocking: call it from a thread that may wait (not an event loop, not the cooperative pool).
public enum URLReader {
    /// The bytes at `url`, at most `maxBytes` (more is an error, not a truncation).
    /// `timeout` bounds every blocking read or connect (libavformat's `rw_timeout`).
    public static func read(_ url: String, maxBytes: Int, timeout: Double = 10) throws -> ByteBuffer {
        var io: UnsafeMutablePointer<AVIOContext>? = nil
        let options = AVOptions(["rw_timeout": String(Int64(max(0.1, timeout) * 1_000_000))])
        try check(avio_open2(&io, url, AVIO_FLAG_READ, nil, &options.pointer), "open \(url)")
        defer { avio_closep(&io) }
        var out = ByteBuffer()
        let chunk: Int32 = 64 * 1024
        while true {
            out.reserveCapacity(minimumWritableBytes: Int(chunk))
            let n = out.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(chunk)) { raw in
                Int(max(0, avio_read(io, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), chunk)))
            }
            if n == 0 {
                if let io, io.pointee.error < 0, io.pointee.error != FFmpegError.endOfFile {
                    throw FFmpegError("read \(url)", code: io.pointee.error)
                }
                return out
            }
            if out.readableBytes > maxBytes {
                throw FFmpegError("read \(url)", message: "larger than \(maxBytes) bytes")
            }
        }
    }
}
