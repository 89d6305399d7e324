import CFFmpeg
import MediaCore

/// Re-encodes audio that HLS players cannot play (MP2, MP3, AC-3, ...) as AAC LC: libavcodec
/// decodes it, libswresample converts it, the native AAC encoder encodes 1024-sample frames.
/// Output timestamps follow the first input packet's, one frame duration apart.
///
/// Not Sendable: belongs to the demux thread that created it.
public final class AACTranscoder {
    /// AAC sample rates (ISO 14496-3 Table 1.18); other inputs are resampled to 48 kHz.
    static let aacRates: Set<Int> = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]

    public let sampleRate: Int
    public let channels: Int
    /// Input and output timestamps are in this timebase.
    public let timebase: Rational
    private let decoder: Decoder
    private let encoder: Encoder
    private let fifo: AudioFifo
    private var resampler: Resampler?
    private var resamplerInput: (rate: Int, channels: Int, format: Int32)?
    private var origin: Int64?
    private var samplesQueued: Int64 = 0

    /// AudioSpecificConfig of the output (2 bytes for AAC LC).
    public var audioSpecificConfig: [UInt8] { encoder.extradata }

    /// - Parameters:
    ///   - codecName: FFmpeg's decoder name for the input ("mp2", "mp3", "ac3").
    ///   - sampleRate, channels: the input's, as the demuxer saw them (0 if unknown).
    public init(codecName: String, sampleRate: Int, channels: Int, timebase: Rational, bitrate: Int = 128_000) throws {
        self.timebase = timebase
        self.sampleRate = Self.aacRates.contains(sampleRate) ? sampleRate : 48000
        self.channels = min(max(channels, 1), 2)
        decoder = try Decoder(codecName: codecName)
        encoder = try Encoder(audio: AudioEncoderSettings(codecName: "aac", sampleRate: self.sampleRate, channels: self.channels,
                                                          bitrate: bitrate, sampleFormat: AV_SAMPLE_FMT_FLTP))
        fifo = try AudioFifo(format: AV_SAMPLE_FMT_FLTP, channels: self.channels, sampleRate: self.sampleRate)
    }

    /// The AAC frames (raw, no ADTS) that one input packet completes, with their pts.
    public func transcode(_ bytes: UnsafeRawBufferPointer, pts: Int64) throws -> [(pts: Int64, data: [UInt8])] {
        if origin == nil { origin = pts }
        var out: [(pts: Int64, data: [UInt8])] = []
        for frame in try decoder.decode(try Packet(copying: bytes)) {
            let input = (frame.sampleRate, frame.channels, frame.sampleFormat.rawValue)
            if resamplerInput.map({ $0 != input }) ?? true {
                resampler = try Resampler(inputRate: frame.sampleRate, inputChannels: frame.channels, inputFormat: frame.sampleFormat,
                                          outputRate: sampleRate, outputChannels: channels, outputFormat: AV_SAMPLE_FMT_FLTP)
                resamplerInput = input
            }
            guard let resampler else { continue }
            try fifo.write(try resampler.convert(frame))
            while let chunk = try fifo.read(1024) {
                chunk.pts = samplesQueued
                samplesQueued += 1024
                for packet in try encoder.encode(chunk) {
                    let at = Rational(1, Int32(sampleRate)).rescale(packet.pts, to: timebase) // sampleRate is an AAC rate
                    out.append((pts: (origin ?? 0) + at, data: Array(packet.bytes)))
                }
            }
        }
        return out
    }
}
