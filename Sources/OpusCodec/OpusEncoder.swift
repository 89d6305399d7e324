import CMediaShims
import COpus

public struct OpusError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var description: String { "\(operation): \(String(cString: opus_strerror(code))) (\(code))" }

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }
}

@discardableResult
func checkOpus(_ code: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    if code < 0 { throw OpusError(operation(), code: code) }
    return code
}

/// libopus encoder for interleaved 16-bit or float PCM.
///
/// Not Sendable: belongs to the codec thread that created it.
public final class OpusEncoder {
    public enum Application: Int32, Sendable {
        case voip = 2048 // OPUS_APPLICATION_VOIP
        case audio = 2049 // OPUS_APPLICATION_AUDIO
        case lowDelay = 2051 // OPUS_APPLICATION_RESTRICTED_LOWDELAY
    }

    private let encoder: OpaquePointer
    public let sampleRate: Int
    public let channels: Int
    /// Largest packet libopus can produce (RFC 6716: 1275 bytes per frame, up to 3 frames).
    static let maxPacket = 4000

    public init(sampleRate: Int = 48000, channels: Int = 2, application: Application = .audio) throws {
        var error: Int32 = 0
        guard let enc = opus_encoder_create(Int32(sampleRate), Int32(channels), application.rawValue, &error),
              error == OPUS_OK else {
            throw OpusError("opus_encoder_create", code: error)
        }
        encoder = enc
        self.sampleRate = sampleRate
        self.channels = channels
    }

    deinit { opus_encoder_destroy(encoder) }

    public var bitrate: Int {
        get throws {
            var bps: Int32 = 0
            try checkOpus(sluice_opus_get_bitrate(encoder, &bps), "OPUS_GET_BITRATE")
            return Int(bps)
        }
    }

    public func setBitrate(_ bps: Int) throws {
        try checkOpus(sluice_opus_set_bitrate(encoder, Int32(bps)), "OPUS_SET_BITRATE")
    }

    public func setComplexity(_ complexity: Int) throws {
        try checkOpus(sluice_opus_set_complexity(encoder, Int32(complexity)), "OPUS_SET_COMPLEXITY")
    }

    /// In-band FEC plus the expected loss lets a weak-network viewer recover lost frames.
    public func setInbandFEC(_ on: Bool, expectedLossPercent: Int) throws {
        try checkOpus(sluice_opus_set_inband_fec(encoder, on ? 1 : 0), "OPUS_SET_INBAND_FEC")
        try checkOpus(sluice_opus_set_packet_loss_perc(encoder, Int32(expectedLossPercent)), "OPUS_SET_PACKET_LOSS_PERC")
    }

    /// Encoder delay in samples: the OpusHead pre-skip.
    public var lookahead: Int {
        get throws {
            var samples: Int32 = 0
            try checkOpus(sluice_opus_get_lookahead(encoder, &samples), "OPUS_GET_LOOKAHEAD")
            return Int(samples)
        }
    }

    /// Encodes one frame (2.5–60 ms) of interleaved samples.
    public func encode(_ pcm: [Int16]) throws -> [UInt8] {
        let frameSize = pcm.count / channels
        var out = [UInt8](repeating: 0, count: Self.maxPacket)
        let n = try checkOpus(opus_encode(encoder, pcm, Int32(frameSize), &out, Int32(out.count)), "opus_encode")
        out.removeSubrange(Int(n)...)
        return out
    }

    public func encode(_ pcm: [Float]) throws -> [UInt8] {
        let frameSize = pcm.count / channels
        var out = [UInt8](repeating: 0, count: Self.maxPacket)
        let n = try checkOpus(opus_encode_float(encoder, pcm, Int32(frameSize), &out, Int32(out.count)), "opus_encode_float")
        out.removeSubrange(Int(n)...)
        return out
    }

    /// The OpusHead identification header (RFC 7845 §5.1), the extradata for mp4/TS muxers.
    public func opusHead() throws -> [UInt8] {
        let preSkip = UInt16(try lookahead)
        var head: [UInt8] = Array("OpusHead".utf8)
        head.append(1) // version
        head.append(UInt8(channels))
        head += [UInt8(preSkip & 0xFF), UInt8(preSkip >> 8)]
        let rate = UInt32(sampleRate)
        head += [UInt8(rate & 0xFF), UInt8((rate >> 8) & 0xFF), UInt8((rate >> 16) & 0xFF), UInt8(rate >> 24)]
        head += [0, 0] // output gain
        head.append(0) // mapping family 0: mono or stereo
        return head
    }
}
