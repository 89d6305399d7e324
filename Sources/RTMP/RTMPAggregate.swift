import NIOCore

/// Aggregate messages (type 22): FLV tags back to back, each followed by its 4-byte size.
/// Sub-message timestamps are rebased so the first equals the aggregate's own timestamp.
public enum RTMPAggregate {
    public static func split(_ message: RTMPMessage) throws -> [RTMPMessage] {
        var p = message.payload
        var out: [RTMPMessage] = []
        var base: UInt32?
        while p.readableBytes > 0 {
            guard p.readableBytes >= 11, let type = p.readInteger(as: UInt8.self), let size = p.readUInt24(),
                  let tsLow = p.readUInt24(), let tsHigh = p.readInteger(as: UInt8.self), p.readUInt24() != nil,
                  let body = p.readSlice(length: Int(size)) else {
                throw RTMPError.malformedMessage("truncated aggregate sub-message")
            }
            _ = p.readInteger(as: UInt32.self) // previous tag size; absent after the last tag in some encoders
            let ts = UInt32(tsHigh) << 24 | tsLow
            let first = base ?? ts
            base = first
            out.append(RTMPMessage(chunkStreamID: message.chunkStreamID, typeID: type & 0x1F, streamID: message.streamID,
                                   timestamp: message.timestamp &+ (ts &- first), payload: body))
        }
        return out
    }
}
