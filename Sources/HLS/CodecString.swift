import Bitstream
import MediaCore

/// RFC 6381 codec strings for the multivariant playlist's CODECS attribute.
public enum CodecString {
    public static func of(_ track: TrackInfo) -> String? {
        let extra = track.extradata.map { Array($0.readableBytesView) } ?? []
        switch track.codec {
        case .h264:
            return AVCDecoderConfigurationRecord(bytes: extra)?.codecString ?? "avc1.640028"
        case .hevc:
            // hvcC: byte 1 = profile space/tier/profile, 2...5 compatibility, 12 level.
            guard extra.count > 12 else { return "hvc1.1.6.L93.B0" }
            let profile = extra[1] & 0x1F
            let tier = extra[1] & 0x20 != 0 ? "H" : "L"
            var compat: UInt32 = 0
            for i in 0..<4 { compat |= UInt32(extra[2 + i]) << (8 * (3 - i)) }
            var reversed: UInt32 = 0
            for i in 0..<32 where compat & (1 << i) != 0 { reversed |= 1 << (31 - i) }
            return "hvc1.\(profile).\(String(reversed, radix: 16, uppercase: true)).\(tier)\(extra[12]).B0"
        case .av1:
            return "av01.0.08M.08"
        case .aac:
            // AudioSpecificConfig: the first 5 bits are the audio object type (2 = AAC-LC).
            let aot = extra.first.map { Int($0 >> 3) } ?? 2
            return "mp4a.40.\(aot == 0 ? 2 : aot)"
        case .opus:
            return "opus"
        case .mp3:
            return "mp4a.40.34"
        }
    }
}
