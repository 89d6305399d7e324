/// RTMP message type IDs (RTMP spec 5.4, 7.1).
public enum RTMPMessageType: UInt8, Sendable {
    case setChunkSize = 1
    case abort = 2
    case acknowledgement = 3
    case userControl = 4
    case windowAckSize = 5
    case setPeerBandwidth = 6
    case audio = 8
    case video = 9
    case amf3Data = 15
    case amf3SharedObject = 16
    case amf3Command = 17
    case amf0Data = 18
    case amf0SharedObject = 19
    case amf0Command = 20
    case aggregate = 22
}
