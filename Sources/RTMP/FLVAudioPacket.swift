import MediaCore
import NIOCore

/// The body of an RTMP audio message (FLV AUDIODATA).
public enum FLVAudioPacket: Sendable, Equatable {
    /// AudioSpecificConfig.
    case aacSequenceHeader(ByteBuffer)
    /// A raw AAC frame (no ADTS).
    case aacFrame(ByteBuffer)
    case mp3Frame(ByteBuffer, sampleRate: Int, channels: Int)
    /// A sound format Sluice does not carry; the name is for the publisher and the log.
    case unsupportedCodec(String)
    case ignored(String)

    /// FLV SoundFormat names (FLV spec v10.1 E.4.2.1), for refusals.
    static let formatNames = [0: "linear PCM (FLV sound format 0)", 1: "ADPCM (FLV sound format 1)",
                              3: "linear PCM little-endian (FLV sound format 3)", 4: "Nellymoser 16 kHz (FLV sound format 4)",
                              5: "Nellymoser 8 kHz (FLV sound format 5)", 6: "Nellymoser (FLV sound format 6)",
                              7: "G.711 A-law (FLV sound format 7)", 8: "G.711 mu-law (FLV sound format 8)",
                              11: "Speex (FLV sound format 11)", 14: "MP3 8 kHz (FLV sound format 14)"]

    public static func parse(_ payload: ByteBuffer) throws -> FLVAudioPacket {
        var p = payload
        guard let b0 = p.readInteger(as: UInt8.self) else { throw RTMPError.malformedMessage("empty audio message") }
        let format = b0 >> 4
        switch format {
        case 10:
            guard let type = p.readInteger(as: UInt8.self) else { throw RTMPError.malformedMessage("truncated AAC header") }
            return type == 0 ? .aacSequenceHeader(p) : .aacFrame(p)
        case 2:
            let rates = [5512, 11025, 22050, 44100]
            return .mp3Frame(p, sampleRate: rates[Int((b0 >> 2) & 3)], channels: Int(b0 & 1) + 1)
        default:
            return .unsupportedCodec(Self.formatNames[Int(format)] ?? "FLV sound format \(format)")
        }
    }

    public func serialize() -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: 8)
        switch self {
        case .aacSequenceHeader(var asc):
            b.writeInteger(UInt8(0xAF))
            b.writeInteger(UInt8(0))
            b.writeBuffer(&asc)
        case .aacFrame(var data):
            b.writeInteger(UInt8(0xAF))
            b.writeInteger(UInt8(1))
            b.writeBuffer(&data)
        case .mp3Frame(var data, let rate, let channels):
            let rateBits: UInt8 = rate >= 44100 ? 3 : rate >= 22050 ? 2 : rate >= 11025 ? 1 : 0
            b.writeInteger(UInt8(2 << 4) | rateBits << 2 | 2 | (channels > 1 ? 1 : 0))
            b.writeBuffer(&data)
        case .unsupportedCodec, .ignored:
            break
        }
        return b
    }
}
