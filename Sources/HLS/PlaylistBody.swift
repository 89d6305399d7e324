import NIOCore
import Synchronization

/// One rendered playlist, shared by every viewer that asks for it until the next part lands;
/// its gzip form is computed once, by the first viewer that accepts gzip.
public final class PlaylistBody: Sendable {
    public let bytes: ByteBuffer
    private let gzip = Mutex<ByteBuffer?>(nil)

    public init(_ text: String) {
        bytes = ByteBuffer(string: text)
    }

    public var text: String { String(buffer: bytes) }

    /// The compressed form, made by `compress` on first use.
    public func compressed(_ compress: (ByteBuffer) -> ByteBuffer) -> ByteBuffer {
        gzip.withLock { cached in
            if let cached { return cached }
            let out = compress(bytes)
            cached = out
            return out
        }
    }
}
