/// Sample rate and channels from an AudioSpecificConfig (ISO 14496-3 1.6.2.1).
public struct AACAudioSpecificConfig: Sendable, Equatable {
    public var objectType: Int
    public var sampleRate: Int
    public var channels: Int

    static let rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]

    public init(_ asc: some Collection<UInt8>) throws(BitstreamError) {
        var r = BitReader(rbsp: Array(asc), context: "AudioSpecificConfig")
        var type = Int(try r.u(5))
        if type == 31 { type = 32 + Int(try r.u(6)) }
        let index = Int(try r.u(4))
        if index == 15 {
            // An explicit 24-bit rate; nothing real is above 384 kHz.
            let rate = Int64(try r.u(24))
            guard (1...384_000).contains(rate) else {
                throw .outOfRange(field: "AudioSpecificConfig samplingFrequency", value: rate, allowed: 1...384_000)
            }
            sampleRate = Int(rate)
        } else {
            guard index < Self.rates.count else {
                throw .outOfRange(field: "AudioSpecificConfig samplingFrequencyIndex", value: Int64(index), allowed: 0...12)
            }
            sampleRate = Self.rates[index]
        }
        let config = Int(try r.u(4))
        objectType = type
        channels = config == 7 ? 8 : config
    }
}
