/// An HEVC sequence parameter set (H.265 7.3.2.2), up to the bit depths: what Sluice needs to
/// size a track. Bounded like `H264SPS`.
public struct H265SPS: Sendable, Equatable {
    public var profileIDC: UInt8
    public var tierFlag: Bool
    public var levelIDC: UInt8
    public var id: Int
    public var chromaFormat: Int
    public var bitDepthLuma: Int
    /// Picture size after the conformance window, 1...VideoLimits.maxDimension.
    public var width: Int
    public var height: Int

    /// From a whole SPS NAL unit (2-byte header included).
    public init(nal: some Collection<UInt8>) throws(BitstreamError) {
        let bytes = Array(nal)
        guard bytes.count >= 2 else { throw .truncated("HEVC SPS") }
        let type = (bytes[0] >> 1) & 0x3F
        guard bytes[0] & 0x80 == 0, type == 33 else { throw .invalid("HEVC SPS: NAL unit type \(type), expected 33") }
        var r = BitReader(nalPayload: bytes.dropFirst(2), context: "HEVC SPS")
        try r.skip(4) // sps_video_parameter_set_id
        let maxSubLayersMinus1 = Int(try r.u(3))
        guard maxSubLayersMinus1 <= 6 else {
            throw .outOfRange(field: "HEVC SPS sps_max_sub_layers_minus1", value: Int64(maxSubLayersMinus1), allowed: 0...6)
        }
        try r.skip(1) // sps_temporal_id_nesting_flag
        // profile_tier_level(1, maxSubLayersMinus1): 96 bits of general profile, tier, level.
        try r.skip(2) // general_profile_space
        tierFlag = try r.flag()
        profileIDC = UInt8(try r.u(5))
        try r.skip(32 + 48) // compatibility flags, constraint flags
        levelIDC = UInt8(try r.u(8))
        var subProfile: [Bool] = [], subLevel: [Bool] = []
        for _ in 0..<maxSubLayersMinus1 {
            subProfile.append(try r.flag())
            subLevel.append(try r.flag())
        }
        if maxSubLayersMinus1 > 0 { try r.skip(2 * (8 - maxSubLayersMinus1)) }
        for i in 0..<maxSubLayersMinus1 {
            if subProfile[i] { try r.skip(88) }
            if subLevel[i] { try r.skip(8) }
        }
        id = try r.ue("sps_seq_parameter_set_id", 0...15)
        chromaFormat = try r.ue("chroma_format_idc", 0...3)
        var separatePlanes = false
        if chromaFormat == 3 { separatePlanes = try r.flag() }
        let bound = Int64(VideoLimits.maxDimension)
        width = try r.ue("pic_width_in_luma_samples", 1...bound)
        height = try r.ue("pic_height_in_luma_samples", 1...bound)
        if try r.flag() { // conformance_window_flag
            let (left, right) = (try r.ue("conf_win_left_offset", 0...bound), try r.ue("conf_win_right_offset", 0...bound))
            let (top, bottom) = (try r.ue("conf_win_top_offset", 0...bound), try r.ue("conf_win_bottom_offset", 0...bound))
            let c = separatePlanes ? 0 : chromaFormat
            let subW = c == 1 || c == 2 ? 2 : 1
            let subH = c == 1 ? 2 : 1
            width -= (left + right) * subW
            height -= (top + bottom) * subH
        }
        guard width > 0, height > 0 else {
            throw .invalid("HEVC SPS: the conformance window leaves a \(width)x\(height) picture")
        }
        bitDepthLuma = 8 + (try r.ue("bit_depth_luma_minus8", 0...8))
    }

    /// From an hvcC record (ISO/IEC 14496-15 §8.3.3.1): its first SPS.
    public init(hvcC: some Collection<UInt8>) throws(BitstreamError) {
        guard let record = HEVCDecoderConfigurationRecord(bytes: hvcC) else {
            throw .invalid("hvcC: truncated or not version 1")
        }
        guard let sps = record.sps.first else { throw .invalid("hvcC: no SPS") }
        try self.init(nal: sps)
    }
}
