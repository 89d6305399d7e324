import NIOCore

/// What a reader needs to set up a decoder or muxer for one track.
public struct TrackInfo: Sendable, Equatable {
    public var kind: TrackKind { codec.kind }
    public var codec: CodecID
    public var timebase: Rational
    /// avcC / hvcC record for video, AudioSpecificConfig or OpusHead for audio.
    public var extradata: ByteBuffer?
    public var width: Int
    public var height: Int
    public var frameRate: Rational?
    public var sampleRate: Int
    public var channels: Int
    public var bitrate: Int?

    public init(codec: CodecID, timebase: Rational, extradata: ByteBuffer? = nil,
                width: Int = 0, height: Int = 0, frameRate: Rational? = nil,
                sampleRate: Int = 0, channels: Int = 0, bitrate: Int? = nil) {
        self.codec = codec
        self.timebase = timebase
        self.extradata = extradata
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitrate = bitrate
    }
}
