import Bitstream
import FFmpegBridge

/// Makes packets from any container look like MPEG-TS's, which `TSUnitBuilder` reads: FLV and
/// MP4 carry H.264/HEVC as length-prefixed NALs with the parameter sets in an avcC/hvcC (they
/// become Annex B, parameter sets before each keyframe) and AAC as raw frames (they get ADTS
/// headers). MPEG-TS packets pass through unchanged.
struct ContainerNormalizer {
    private enum Rule {
        case nals(lengthSize: Int, parameterSets: [UInt8])
        case adts(sampleRate: Int, channels: Int)
    }

    private var rules: [Int: Rule] = [:]
    private static let startCode: [UInt8] = [0, 0, 0, 1]

    init(streams: [Demuxer.Stream]) {
        for st in streams {
            let extra = st.track?.extradata.map { Array($0.readableBytesView) } ?? []
            switch st.codecName {
            case "h264" where extra.first == 1:
                guard let record = AVCDecoderConfigurationRecord(bytes: extra) else { continue }
                rules[st.index] = .nals(lengthSize: record.lengthSize,
                                        parameterSets: (record.sps + record.pps).flatMap { Self.startCode + $0 })
            case "hevc" where extra.first == 1:
                guard let record = HEVCDecoderConfigurationRecord(bytes: extra) else { continue }
                rules[st.index] = .nals(lengthSize: record.lengthSize,
                                        parameterSets: (record.vps + record.sps + record.pps).flatMap { Self.startCode + $0 })
            case "aac" where !extra.isEmpty:
                rules[st.index] = .adts(sampleRate: st.sampleRate, channels: st.channels)
            default:
                continue
            }
        }
    }

    /// The packet as MPEG-TS would carry it; unparsable length prefixes yield nothing.
    func annexB(stream index: Int, _ bytes: [UInt8], isKeyframe: Bool) -> [UInt8] {
        switch rules[index] {
        case nil:
            return bytes
        case .nals(let lengthSize, let parameterSets):
            guard let annexB = NALUnits.lengthPrefixedToAnnexB(bytes, lengthSize: lengthSize) else { return [] }
            return isKeyframe ? parameterSets + annexB : annexB
        case .adts(let sampleRate, let channels):
            // Already ADTS (some FLV muxers): leave it.
            if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] & 0xF0 == 0xF0 { return bytes }
            return TSUnitBuilder.adts([bytes], sampleRate: sampleRate, channels: channels)
        }
    }
}
