import NIOCore

/// Splits messages into chunks, compressing headers against the previous message on the same
/// chunk stream (fmt 1/2/3 when fields repeat). Applies its own SetChunkSize after sending it.
/// Extended timestamps are repeated on fmt-3 chunks, as the spec, Adobe and ffmpeg do.
public struct RTMPChunkEncoder: Sendable {
    public private(set) var chunkSize = 128
    /// false mimics old librtmp (extended timestamp only in the first chunk), for interop tests.
    public var repeatsExtendedTimestampInType3 = true

    struct Last {
        var chunkStreamID: Int
        var timestamp: UInt32
        var delta: UInt32
        var length: Int
        var typeID: UInt8
        var streamID: UInt32
    }
    /// Few entries, searched linearly (a Dictionary's modify accessor allocates per message).
    private var last: [Last] = []

    public init() {}

    public mutating func encode(_ message: RTMPMessage, into out: inout ByteBuffer) {
        let csid = message.chunkStreamID
        let length = message.payload.readableBytes
        var fmt: UInt8 = 0
        var tsField = message.timestamp
        var delta = message.timestamp
        let index = last.firstIndex { $0.chunkStreamID == csid }
        if let index, case let prev = last[index], prev.streamID == message.streamID, message.timestamp >= prev.timestamp {
            delta = message.timestamp - prev.timestamp
            tsField = delta
            if prev.length != length || prev.typeID != message.typeID {
                fmt = 1
            } else if prev.delta != delta {
                fmt = 2
            } else {
                fmt = 3
            }
        }
        let entry = Last(chunkStreamID: csid, timestamp: message.timestamp, delta: delta, length: length,
                         typeID: message.typeID, streamID: message.streamID)
        if let index { last[index] = entry } else { last.append(entry) }
        let extended = tsField >= 0xFFFFFF
        var payload = message.payload
        var first = true
        repeat {
            writeBasicHeader(fmt: first ? fmt : 3, csid: csid, into: &out)
            if first {
                if fmt <= 2 { out.writeUInt24(extended ? 0xFFFFFF : tsField) }
                if fmt <= 1 {
                    out.writeUInt24(UInt32(length))
                    out.writeInteger(message.typeID)
                }
                if fmt == 0 { out.writeInteger(message.streamID, endianness: .little) }
            }
            if extended && ((first && fmt <= 2) || repeatsExtendedTimestampInType3) { out.writeInteger(tsField) }
            let n = min(chunkSize, payload.readableBytes)
            var slice = payload.readSlice(length: n)!
            out.writeBuffer(&slice)
            first = false
        } while payload.readableBytes > 0

        if message.type == .setChunkSize,
           let size = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self), size > 0 {
            chunkSize = Int(min(size & 0x7FFF_FFFF, 0xFFFFFF))
        }
    }

    private func writeBasicHeader(fmt: UInt8, csid: Int, into out: inout ByteBuffer) {
        if csid < 64 {
            out.writeInteger(fmt << 6 | UInt8(csid))
        } else if csid < 320 {
            out.writeInteger(fmt << 6)
            out.writeInteger(UInt8(csid - 64))
        } else {
            out.writeInteger(fmt << 6 | 1)
            out.writeInteger(UInt8((csid - 64) & 0xFF))
            out.writeInteger(UInt8((csid - 64) >> 8))
        }
    }
}
