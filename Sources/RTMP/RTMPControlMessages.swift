import NIOCore

/// Builders for protocol control and user control messages (RTMP spec 5.4, 6.2, 7.1.7).
public enum RTMPControlMessages {
    public enum UserControlEvent: UInt16, Sendable {
        case streamBegin = 0
        case streamEOF = 1
        case streamDry = 2
        case setBufferLength = 3
        case streamIsRecorded = 4
        case pingRequest = 6
        case pingResponse = 7
    }

    static func control(_ type: RTMPMessageType, _ write: (inout ByteBuffer) -> Void) -> RTMPMessage {
        var b = ByteBufferAllocator().buffer(capacity: 8)
        write(&b)
        return RTMPMessage(chunkStreamID: RTMPChunkStreamID.control, type: type, streamID: 0, timestamp: 0, payload: b)
    }

    public static func setChunkSize(_ size: UInt32) -> RTMPMessage {
        control(.setChunkSize) { $0.writeInteger(size & 0x7FFF_FFFF) }
    }

    public static func windowAckSize(_ size: UInt32) -> RTMPMessage {
        control(.windowAckSize) { $0.writeInteger(size) }
    }

    /// limitType 2 = dynamic.
    public static func setPeerBandwidth(_ size: UInt32, limitType: UInt8 = 2) -> RTMPMessage {
        control(.setPeerBandwidth) { $0.writeInteger(size); $0.writeInteger(limitType) }
    }

    public static func acknowledgement(_ sequence: UInt32) -> RTMPMessage {
        control(.acknowledgement) { $0.writeInteger(sequence) }
    }

    public static func abort(chunkStreamID: UInt32) -> RTMPMessage {
        control(.abort) { $0.writeInteger(chunkStreamID) }
    }

    public static func userControl(_ event: UserControlEvent, _ value: UInt32) -> RTMPMessage {
        control(.userControl) { $0.writeInteger(event.rawValue); $0.writeInteger(value) }
    }
}
