import NIOCore

/// Reassembles RTMP messages from chunks (RTMP spec 5.3). Pure: fed a ByteBuffer, it returns
/// complete messages. It applies SetChunkSize and Abort itself, since they change framing.
///
/// Extended timestamps on fmt-3 chunks: Adobe (and the spec) repeat the 4-byte field on every
/// fmt-3 chunk of a stream whose header had one; some librtmp versions do not. The first such
/// chunk decides: if its next 4 bytes equal the stored extended timestamp they are the field.
public struct RTMPChunkDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RTMPMessage

    public static let defaultMaxMessageSize = 16 << 20

    public private(set) var chunkSize = 128
    public private(set) var maxMessageSize: Int
    /// Cap on bytes held in unfinished messages across all chunk streams.
    public private(set) var maxBufferedBytes: Int
    public let maxChunkStreams: Int
    /// nil until the peer's fmt-3 behaviour has been seen.
    public private(set) var type3RepeatsExtendedTimestamp: Bool?

    struct ChunkStream {
        var id: Int
        var timestamp: UInt32 = 0
        var delta: UInt32 = 0
        var length = 0
        var typeID: UInt8 = 0
        var streamID: UInt32 = 0
        var hasExtendedTimestamp = false
        var extendedTimestamp: UInt32 = 0
        var partial: ByteBuffer?
    }
    /// A short array, searched linearly: clients use a handful of chunk streams, and a
    /// Dictionary's non-inlined modify accessors allocated on every chunk.
    private var streams: [ChunkStream] = []
    private var bufferedBytes = 0

    public init(maxMessageSize: Int = defaultMaxMessageSize, maxBufferedBytes: Int? = nil, maxChunkStreams: Int = 64) {
        self.maxMessageSize = maxMessageSize
        self.maxBufferedBytes = maxBufferedBytes ?? 2 * maxMessageSize
        self.maxChunkStreams = maxChunkStreams
    }

    /// Raises (or lowers) the caps, e.g. once a connection is authorised to publish. Applies
    /// to the next message header and the next chunk.
    public mutating func setLimits(maxMessageSize: Int, maxBufferedBytes: Int) {
        self.maxMessageSize = maxMessageSize
        self.maxBufferedBytes = maxBufferedBytes
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> RTMPMessage? {
        while true {
            let start = buffer.readerIndex
            guard let (message, progressed) = try decodeChunk(buffer: &buffer) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            if let message { return message }
            precondition(progressed)
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RTMPMessage? {
        try decode(buffer: &buffer)
    }

    /// One chunk. nil = not enough bytes (caller rewinds); (nil, true) = chunk consumed, message incomplete.
    private mutating func decodeChunk(buffer: inout ByteBuffer) throws -> (RTMPMessage?, Bool)? {
        guard let b0 = buffer.readInteger(as: UInt8.self) else { return nil }
        let fmt = b0 >> 6
        var csid = Int(b0 & 0x3F)
        if csid == 0 {
            guard let b1 = buffer.readInteger(as: UInt8.self) else { return nil }
            csid = 64 + Int(b1)
        } else if csid == 1 {
            guard let b1 = buffer.readInteger(as: UInt8.self), let b2 = buffer.readInteger(as: UInt8.self) else { return nil }
            csid = 64 + Int(b1) + Int(b2) * 256
        }
        var cs: ChunkStream
        let index = streams.firstIndex { $0.id == csid }
        if let index {
            cs = streams[index]
            // Work on the header fields only: a second reference to the partial buffer would make
            // every append copy it (copy-on-write), quadratic in the message size.
            cs.partial = nil
        } else {
            guard fmt == 0 else { throw RTMPError.chunkWithoutHeader(chunkStreamID: csid) }
            guard streams.count < maxChunkStreams else { throw RTMPError.tooManyChunkStreams(maxChunkStreams) }
            cs = ChunkStream(id: csid)
        }

        var tsField: UInt32 = 0
        if fmt <= 2 {
            guard let t = buffer.readUInt24() else { return nil }
            tsField = t
        }
        if fmt <= 1 {
            guard let len = buffer.readUInt24(), let type = buffer.readInteger(as: UInt8.self) else { return nil }
            cs.length = Int(len)
            cs.typeID = type
        }
        if fmt == 0 {
            guard let sid = buffer.readInteger(endianness: .little, as: UInt32.self) else { return nil }
            cs.streamID = sid
        }
        var type3Detected: Bool?
        if fmt <= 2 {
            cs.hasExtendedTimestamp = tsField == 0xFFFFFF
            if cs.hasExtendedTimestamp {
                guard let ext = buffer.readInteger(as: UInt32.self) else { return nil }
                cs.extendedTimestamp = ext
                tsField = ext
            }
        } else if cs.hasExtendedTimestamp {
            switch type3RepeatsExtendedTimestamp {
            case .some(true):
                guard buffer.readInteger(as: UInt32.self) != nil else { return nil }
            case .some(false):
                break
            case .none:
                guard let peek = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
                let repeats = peek == cs.extendedTimestamp
                if repeats { buffer.moveReaderIndex(forwardBy: 4) }
                type3Detected = repeats
            }
        }

        let partialBytes = index.flatMap { streams[$0].partial?.readableBytes }
        let newMessage = fmt != 3 || partialBytes == nil
        if newMessage {
            switch fmt {
            case 0:
                cs.timestamp = tsField
                cs.delta = tsField // spec: a later fmt-3 new message adds the fmt-0 timestamp
            case 1, 2:
                cs.delta = tsField
                cs.timestamp &+= tsField
            default:
                cs.timestamp &+= cs.delta
            }
            guard cs.length <= maxMessageSize else {
                throw RTMPError.messageTooLarge(length: cs.length, limit: maxMessageSize)
            }
        }
        let have = newMessage ? 0 : partialBytes!
        let toRead = min(chunkSize, cs.length - have)
        guard buffer.readableBytes >= toRead else { return nil }

        // The whole chunk is here: commit. Take the partial buffer out so it is uniquely referenced.
        if let type3Detected { type3RepeatsExtendedTimestamp = type3Detected }
        let i: Int
        if let index {
            i = index
            cs.partial = streams[i].partial
            streams[i].partial = nil
        } else {
            i = streams.count
            streams.append(cs)
        }
        if newMessage, let old = cs.partial {
            bufferedBytes -= old.readableBytes // a full header mid-message abandons the old one
            cs.partial = nil
        }
        let body = buffer.readSlice(length: toRead)!
        if have == 0 && toRead == cs.length {
            streams[i] = cs
            return (try complete(RTMPMessage(chunkStreamID: csid, typeID: cs.typeID, streamID: cs.streamID,
                                             timestamp: cs.timestamp, payload: body)), true)
        }
        if cs.partial == nil {
            // Grow as chunks arrive, never trusting the declared length for the allocation.
            cs.partial = ByteBufferAllocator().buffer(capacity: min(cs.length, 64 << 10))
        }
        cs.partial!.writeImmutableBuffer(body)
        bufferedBytes += toRead
        guard bufferedBytes <= maxBufferedBytes else {
            throw RTMPError.tooMuchBufferedInput(bytes: bufferedBytes, limit: maxBufferedBytes)
        }
        if cs.partial!.readableBytes == cs.length {
            let payload = cs.partial!
            cs.partial = nil
            bufferedBytes -= payload.readableBytes
            streams[i] = cs
            return (try complete(RTMPMessage(chunkStreamID: csid, typeID: cs.typeID, streamID: cs.streamID,
                                             timestamp: cs.timestamp, payload: payload)), true)
        }
        streams[i] = cs
        return (nil, true)
    }

    /// Protocol control that changes framing takes effect here, before the next chunk.
    private mutating func complete(_ message: RTMPMessage) throws -> RTMPMessage {
        switch message.type {
        case .setChunkSize:
            guard let raw = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self) else {
                throw RTMPError.malformedMessage("SetChunkSize without a size")
            }
            let size = raw & 0x7FFF_FFFF
            guard size >= 1 else { throw RTMPError.invalidChunkSize(raw) }
            chunkSize = Int(min(size, 0xFFFFFF))
        case .abort:
            if let id = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self),
               let i = streams.firstIndex(where: { $0.id == Int(id) }), let partial = streams[i].partial {
                bufferedBytes -= partial.readableBytes
                streams[i].partial = nil
            }
        default:
            break
        }
        return message
    }
}
