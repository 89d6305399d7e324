import NIOCore

/// Just enough HTTP/1.1 response framing for viewers (status, Content-Length, body): with NIO's
/// full HTTP codec the generator cost more CPU than the server it measured.
struct HTTPResponseReader {
    enum Step: Equatable {
        /// `bytes` is used up; the response goes on in the next read.
        case needMore
        /// One response ended; `bytes` may hold the next.
        case ended
        /// Not a response this reader understands (e.g. chunked).
        case malformed
        /// A head over 64 KiB.
        case headTooLarge
    }

    /// Of the response being read, or the last one ended.
    private(set) var status = 0
    private(set) var received = 0
    /// Only when asked to keep it (playlists): media bodies are counted, not kept, as copying
    /// them made the generator the bottleneck.
    private(set) var body = ByteBuffer()
    private var header = ByteBuffer()
    /// Body bytes still to come; nil while reading a head.
    private var remaining: Int?

    /// Consumes `bytes` up to the end of one response.
    mutating func read(_ bytes: inout ByteBuffer, keepBody: Bool) -> Step {
        if remaining == nil {
            // A head that spans reads is collected first; usually it is whole.
            if header.readableBytes > 0 {
                header.writeBuffer(&bytes)
                bytes = header
                header = ByteBuffer()
            }
            guard let end = Self.headerEnd(bytes) else {
                if bytes.readableBytes > 64 << 10 { return .headTooLarge }
                header = bytes
                bytes.moveReaderIndex(to: bytes.writerIndex)
                return .needMore
            }
            guard let (code, length) = Self.parseHead(bytes.readableBytesView.prefix(end)) else { return .malformed }
            status = code
            received = 0
            remaining = length
            body.clear()
            bytes.moveReaderIndex(forwardBy: end + 4)
        }
        let n = min(remaining ?? 0, bytes.readableBytes)
        var chunk = bytes.readSlice(length: n)!
        received += n
        remaining! -= n
        if keepBody { body.writeBuffer(&chunk) }
        guard remaining == 0 else { return .needMore }
        remaining = nil
        return .ended
    }

    /// Offset of "\r\n\r\n" in `buffer`'s readable bytes.
    static func headerEnd(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { raw in
            guard raw.count >= 4 else { return nil }
            for i in 0...(raw.count - 4) where raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 {
                return i
            }
            return nil
        }
    }

    /// Status code and Content-Length of a response head (without the blank line); nil
    /// for anything else (chunked bodies are not expected from an HLS origin).
    static func parseHead(_ head: ByteBufferView) -> (Int, Int)? {
        let lines = head.split(separator: 10)
        guard let first = lines.first, first.count >= 12 else { return nil }
        let codeDigits = first.dropFirst(9).prefix(3)
        guard codeDigits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let code = codeDigits.reduce(0) { $0 * 10 + Int($1 - 48) }
        let name = Array("content-length:".utf8)
        for line in lines.dropFirst() where line.count > name.count {
            guard zip(line.prefix(name.count), name).allSatisfy({ ($0 | 0x20) == $1 }) else { continue }
            let digits = line.dropFirst(name.count).filter { $0 >= 48 && $0 <= 57 }
            return (code, digits.reduce(0) { $0 * 10 + Int($1 - 48) })
        }
        return code == 204 || code == 304 ? (code, 0) : nil
    }
}
