/// Why the protocol layer gave up on a connection. Each case closes only that connection.
public enum RTMPError: Error, Equatable, Sendable, CustomStringConvertible {
    case badHandshakeVersion(UInt8)
    case messageTooLarge(length: Int, limit: Int)
    case tooMuchBufferedInput(bytes: Int, limit: Int)
    case tooManyChunkStreams(Int)
    case chunkWithoutHeader(chunkStreamID: Int)
    case invalidChunkSize(UInt32)
    case malformedAMF(String)
    case malformedMessage(String)

    public var description: String {
        switch self {
        case .badHandshakeVersion(let v): "handshake: unsupported RTMP version \(v) (want 3)"
        case .messageTooLarge(let len, let limit): "chunk: message length \(len) exceeds the limit \(limit)"
        case .tooMuchBufferedInput(let b, let limit): "chunk: \(b) bytes of unfinished messages exceed the limit \(limit)"
        case .tooManyChunkStreams(let n): "chunk: more than \(n) chunk streams in use"
        case .chunkWithoutHeader(let id): "chunk: compressed header on chunk stream \(id) that never had a full header"
        case .invalidChunkSize(let s): "chunk: invalid chunk size \(s)"
        case .malformedAMF(let why): "AMF: \(why)"
        case .malformedMessage(let why): "message: \(why)"
        }
    }
}
