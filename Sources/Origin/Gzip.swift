import CZlib
import NIOCore

/// gzip (RFC 1952) through system zlib: Foundation has no compression API on Linux.
enum Gzip {
    static func compress(_ input: ByteBuffer, level: Int32 = 6) -> ByteBuffer {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            preconditionFailure("deflateInit2: out of memory")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.readableBytes)))
        var output = ByteBuffer()
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
            input.withUnsafeReadableBytes { inp in
                stream.next_in = UnsafeMutablePointer(mutating: inp.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(inp.count)
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate into deflateBound bytes must finish")
                return Int(stream.total_out)
            }
        }
        return output
    }
}
