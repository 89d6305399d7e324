import CMediaShims
import COpus

/// libopus decoder to interleaved 16-bit PCM.
///
/// Not Sendable: belongs to the codec thread that created it.
public final class OpusDecoder {
    private let decoder: OpaquePointer
    public let sampleRate: Int
    public let channels: Int

    public init(sampleRate: Int = 48000, channels: Int = 2) throws {
        var error: Int32 = 0
        guard let dec = opus_decoder_create(Int32(sampleRate), Int32(channels), &error), error == OPUS_OK else {
            throw OpusError("opus_decoder_create", code: error)
        }
        decoder = dec
        self.sampleRate = sampleRate
        self.channels = channels
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes one packet; `nil` conceals a lost packet (packet loss concealment).
    public func decode(_ packet: [UInt8]?, maxFrameSize: Int = 5760) throws -> [Int16] {
        var pcm = [Int16](repeating: 0, count: maxFrameSize * channels)
        let samples: Int32
        if let packet {
            samples = try checkOpus(opus_decode(decoder, packet, Int32(packet.count), &pcm, Int32(maxFrameSize), 0), "opus_decode")
        } else {
            samples = try checkOpus(opus_decode(decoder, nil, 0, &pcm, Int32(maxFrameSize), 0), "opus_decode (PLC)")
        }
        pcm.removeSubrange((Int(samples) * channels)...)
        return pcm
    }

    public func reset() throws {
        try checkOpus(sluice_opus_decoder_reset(decoder), "OPUS_RESET_STATE")
    }
}
