/// One audio rendition: the source audio decoded once, resampled and encoded with `codec`.
public struct AudioRenditionSpec: Sendable, Equatable {
    public enum Codec: String, Sendable {
        /// FFmpeg's native AAC-LC encoder, 1024-sample frames.
        case aac
        /// libopus through OpusCodec, 960-sample (20 ms) frames at 48 kHz.
        case opus
    }

    public var name: String
    public var codec: Codec
    public var bitrate: Int
    public var sampleRate: Int
    public var channels: Int

    public init(name: String? = nil, codec: Codec, bitrate: Int, sampleRate: Int = 48000, channels: Int = 2) {
        self.name = name ?? codec.rawValue
        self.codec = codec
        self.bitrate = bitrate
        self.sampleRate = codec == .opus ? 48000 : sampleRate
        self.channels = channels
    }

    public static let aac128k = AudioRenditionSpec(codec: .aac, bitrate: 128_000)
    public static let opus96k = AudioRenditionSpec(codec: .opus, bitrate: 96_000)
}
