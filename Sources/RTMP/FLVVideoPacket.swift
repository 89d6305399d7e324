import MediaCore
import NIOCore

/// The body of an RTMP video message: legacy FLV (AVC) or Enhanced RTMP (IsExHeader, FourCC).
public enum FLVVideoPacket: Sendable, Equatable {
    /// avcC / hvcC / av1C record.
    case sequenceStart(CodecID, config: ByteBuffer)
    /// AVCC/HVCC length-prefixed NALs, or AV1 OBUs. Composition time in milliseconds.
    case frame(CodecID, keyframe: Bool, compositionTime: Int32, data: ByteBuffer)
    case sequenceEnd(CodecID)
    /// Enhanced RTMP metadata (AMF), e.g. HDR colour info.
    case metadata(ByteBuffer)
    /// A codec Sluice does not carry; the name is for the publisher and the log.
    case unsupportedCodec(String)
    /// Things we carry no further (command frames, packet types); the reason is for logs.
    case ignored(String)

    /// FLV VideoTagHeader CodecID names (FLV spec v10.1 E.4.3.1), for refusals.
    static let legacyCodecNames = [2: "Sorenson H.263 (FLV codec 2)", 3: "Screen video (FLV codec 3)",
                                   4: "On2 VP6 (FLV codec 4)", 5: "On2 VP6 with alpha (FLV codec 5)",
                                   6: "Screen video 2 (FLV codec 6)"]

    public static func parse(_ payload: ByteBuffer) throws -> FLVVideoPacket {
        var p = payload
        guard let b0 = p.readInteger(as: UInt8.self) else { throw RTMPError.malformedMessage("empty video message") }
        if b0 & 0x80 != 0 {
            let frameType = (b0 >> 4) & 0x07
            let packetType = b0 & 0x0F
            guard let raw = p.readBytes(length: 4) else { throw RTMPError.malformedMessage("truncated Enhanced RTMP FourCC") }
            // Printable ASCII or hex: the name reaches logs.
            let fourCC = raw.allSatisfy { (0x20..<0x7F).contains($0) && $0 != 0x22 && $0 != 0x5C }
                ? String(decoding: raw, as: UTF8.self) : "0x" + raw.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            let codec: CodecID
            switch fourCC {
            case "hvc1": codec = .hevc
            case "av01": codec = .av1
            case "avc1": codec = .h264
            default: return .unsupportedCodec("Enhanced RTMP FourCC \"\(fourCC)\"")
            }
            if frameType == 5 { return .ignored("video command frame") }
            switch packetType {
            case 0: return .sequenceStart(codec, config: p)
            case 1:
                var cts: Int32 = 0
                if codec != .av1 {
                    guard let c = p.readInt24() else { throw RTMPError.malformedMessage("truncated composition time") }
                    cts = c
                }
                return .frame(codec, keyframe: frameType == 1, compositionTime: cts, data: p)
            case 2: return .sequenceEnd(codec)
            case 3: return .frame(codec, keyframe: frameType == 1, compositionTime: 0, data: p)
            case 4: return .metadata(p)
            case 5: return .ignored("MPEG2TSSequenceStart")
            default: return .ignored("Enhanced RTMP packet type \(packetType)")
            }
        }
        let frameType = b0 >> 4
        let codecID = b0 & 0x0F
        let codec: CodecID
        switch codecID {
        case 7: codec = .h264
        case 12: codec = .hevc // pre-Enhanced-RTMP convention of some Chinese CDNs
        default: return .unsupportedCodec(Self.legacyCodecNames[Int(codecID)] ?? "FLV video codec \(codecID)")
        }
        if frameType == 5 { return .ignored("video command frame") }
        guard let packetType = p.readInteger(as: UInt8.self), let cts = p.readInt24() else {
            throw RTMPError.malformedMessage("truncated AVC video header")
        }
        switch packetType {
        case 0: return .sequenceStart(codec, config: p)
        case 1: return .frame(codec, keyframe: frameType == 1, compositionTime: cts, data: p)
        case 2: return .sequenceEnd(codec)
        default: return .ignored("AVC packet type \(packetType)")
        }
    }

    /// The video message body for `self` (legacy FLV for H.264, Enhanced RTMP for HEVC/AV1).
    public func serialize() -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: 16)
        func header(_ codec: CodecID, frameType: UInt8, packetType: UInt8, cts: Int32?) {
            if codec == .h264 {
                b.writeInteger(frameType << 4 | 7)
                b.writeInteger(packetType)
                b.writeInt24(cts ?? 0)
            } else {
                b.writeInteger(0x80 | frameType << 4 | packetType)
                b.writeString(codec == .hevc ? "hvc1" : "av01")
                if codec == .hevc, packetType == 1 { b.writeInt24(cts ?? 0) }
            }
        }
        switch self {
        case .sequenceStart(let codec, var config):
            header(codec, frameType: 1, packetType: 0, cts: 0)
            b.writeBuffer(&config)
        case .frame(let codec, let key, let cts, var data):
            header(codec, frameType: key ? 1 : 2, packetType: 1, cts: cts)
            b.writeBuffer(&data)
        case .sequenceEnd(let codec):
            header(codec, frameType: 1, packetType: 2, cts: 0)
        case .metadata, .unsupportedCodec, .ignored:
            break
        }
        return b
    }
}
