/// An AAC ADTS frame header (ISO/IEC 13818-7 §6.2), as MPEG-TS carries AAC.
public struct ADTSHeader: Sendable, Equatable {
    /// MPEG-4 audio object type (2 = AAC LC).
    public var objectType: UInt8
    public var sampleRateIndex: UInt8
    public var channelConfiguration: UInt8
    /// Header plus payload.
    public var frameLength: Int
    public var headerLength: Int

    public static let sampleRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]

    public var sampleRate: Int? { Int(sampleRateIndex) < Self.sampleRates.count ? Self.sampleRates[Int(sampleRateIndex)] : nil }

    /// A header without CRC for a `payloadLength`-byte raw frame.
    public init(objectType: UInt8, sampleRateIndex: UInt8, channelConfiguration: UInt8, payloadLength: Int) {
        self.objectType = objectType
        self.sampleRateIndex = sampleRateIndex
        self.channelConfiguration = channelConfiguration
        self.headerLength = 7
        self.frameLength = payloadLength + 7
    }

    /// The 7 header bytes (protection absent, buffer fullness 0x7FF: variable rate).
    public var bytes: [UInt8] {
        let length = UInt32(truncatingIfNeeded: frameLength) & 0x1FFF
        return [0xFF, 0xF1,
                (objectType &- 1) << 6 | (sampleRateIndex & 0x0F) << 2 | (channelConfiguration >> 2) & 1,
                (channelConfiguration & 3) << 6 | UInt8(length >> 11),
                UInt8((length >> 3) & 0xFF),
                UInt8((length & 7) << 5) | 0x1F,
                0xFC]
    }

    /// Parses the header at the start of `bytes`; nil without a sync word or with a frame
    /// length that cannot be right.
    public init?(_ bytes: some Collection<UInt8>) {
        let b = Array(bytes.prefix(9))
        guard b.count >= 7, b[0] == 0xFF, b[1] & 0xF6 == 0xF0 else { return nil }
        let protectionAbsent = b[1] & 0x01 == 1
        objectType = (b[2] >> 6) + 1
        sampleRateIndex = (b[2] >> 2) & 0x0F
        channelConfiguration = (b[2] & 0x01) << 2 | b[3] >> 6
        frameLength = Int(b[3] & 0x03) << 11 | Int(b[4]) << 3 | Int(b[5]) >> 5
        headerLength = protectionAbsent ? 7 : 9
        guard frameLength >= headerLength, sampleRateIndex < 13 else { return nil }
    }

    /// The two-byte AudioSpecificConfig (what fMP4, RTMP and the hub carry as extradata).
    public var audioSpecificConfig: [UInt8] {
        [objectType << 3 | sampleRateIndex >> 1, (sampleRateIndex & 1) << 7 | channelConfiguration << 3]
    }

    /// Splits a buffer of back-to-back ADTS frames into (header, raw payload) pairs; stops at
    /// the first byte that is not a valid frame.
    public static func frames(in bytes: [UInt8]) -> [(header: ADTSHeader, payload: ArraySlice<UInt8>)] {
        var out: [(ADTSHeader, ArraySlice<UInt8>)] = []
        var i = 0
        while i < bytes.count, let h = ADTSHeader(bytes[i...]), i + h.frameLength <= bytes.count {
            out.append((h, bytes[(i + h.headerLength)..<(i + h.frameLength)]))
            i += h.frameLength
        }
        return out
    }
}
