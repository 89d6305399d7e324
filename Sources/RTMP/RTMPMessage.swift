import NIOCore

/// One reassembled RTMP message. `chunkStreamID` is where it arrived (or should be sent).
public struct RTMPMessage: Sendable, Equatable {
    public var chunkStreamID: Int
    public var typeID: UInt8
    public var streamID: UInt32
    /// Milliseconds, 32-bit and wrapping as on the wire.
    public var timestamp: UInt32
    public var payload: ByteBuffer

    public init(chunkStreamID: Int, typeID: UInt8, streamID: UInt32, timestamp: UInt32, payload: ByteBuffer) {
        self.chunkStreamID = chunkStreamID
        self.typeID = typeID
        self.streamID = streamID
        self.timestamp = timestamp
        self.payload = payload
    }

    public init(chunkStreamID: Int, type: RTMPMessageType, streamID: UInt32, timestamp: UInt32, payload: ByteBuffer) {
        self.init(chunkStreamID: chunkStreamID, typeID: type.rawValue, streamID: streamID, timestamp: timestamp, payload: payload)
    }

    public var type: RTMPMessageType? { RTMPMessageType(rawValue: typeID) }
}
