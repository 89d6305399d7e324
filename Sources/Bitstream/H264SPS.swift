/// An H.264 sequence parameter set (H.264 7.3.2.1.1), up to frame cropping: what Sluice needs
/// to size a track. Every field is bounded by the specification or by `VideoLimits`, so a
/// crafted SPS is refused here instead of trapping where FFmpeg wants an Int32.
public struct H264SPS: Sendable, Equatable {
    public var profileIDC: UInt8
    public var constraintFlags: UInt8
    public var levelIDC: UInt8
    public var id: Int
    public var chromaFormat: Int
    public var bitDepthLuma: Int
    public var maxRefFrames: Int
    public var frameMbsOnly: Bool
    /// Picture size after cropping, 1...VideoLimits.maxDimension.
    public var width: Int
    public var height: Int

    static let highProfiles: Set<UInt8> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]

    /// From a whole SPS NAL unit (header byte included).
    public init(nal: some Collection<UInt8>) throws(BitstreamError) {
        guard let header = nal.first else { throw .truncated("H.264 SPS") }
        guard header & 0x80 == 0, header & 0x1F == 7 else {
            throw .invalid("H.264 SPS: NAL unit type \(header & 0x1F), expected 7")
        }
        var r = BitReader(nalPayload: nal.dropFirst(), context: "H.264 SPS")
        profileIDC = UInt8(try r.u(8))
        constraintFlags = UInt8(try r.u(8))
        levelIDC = UInt8(try r.u(8))
        id = try r.ue("seq_parameter_set_id", 0...31)
        chromaFormat = 1
        bitDepthLuma = 8
        var separatePlanes = false
        if Self.highProfiles.contains(profileIDC) {
            chromaFormat = try r.ue("chroma_format_idc", 0...3)
            if chromaFormat == 3 { separatePlanes = try r.flag() }
            bitDepthLuma = 8 + (try r.ue("bit_depth_luma_minus8", 0...6))
            _ = try r.ue("bit_depth_chroma_minus8", 0...6)
            try r.skip(1) // qpprime_y_zero_transform_bypass_flag
            if try r.flag() { // seq_scaling_matrix_present_flag
                for i in 0..<(chromaFormat == 3 ? 12 : 8) where try r.flag() {
                    var last = 8, next = 8
                    for _ in 0..<(i < 6 ? 16 : 64) {
                        if next != 0 { next = (last + (try r.se("delta_scale", -128...127)) + 256) % 256 }
                        last = next == 0 ? last : next
                    }
                }
            }
        }
        _ = try r.ue("log2_max_frame_num_minus4", 0...12)
        let pocType = try r.ue("pic_order_cnt_type", 0...2)
        if pocType == 0 {
            _ = try r.ue("log2_max_pic_order_cnt_lsb_minus4", 0...12)
        } else if pocType == 1 {
            try r.skip(1) // delta_pic_order_always_zero_flag
            _ = try r.se() // offset_for_non_ref_pic
            _ = try r.se() // offset_for_top_to_bottom_field
            let cycle = try r.ue("num_ref_frames_in_pic_order_cnt_cycle", 0...255)
            for _ in 0..<cycle { _ = try r.se() }
        }
        maxRefFrames = try r.ue("max_num_ref_frames", 0...16)
        try r.skip(1) // gaps_in_frame_num_value_allowed_flag
        let maxMbs = Int64(VideoLimits.maxDimension / 16)
        let widthMbs = try r.ue("pic_width_in_mbs_minus1", 0...(maxMbs - 1)) + 1
        let heightMapUnits = try r.ue("pic_height_in_map_units_minus1", 0...(maxMbs - 1)) + 1
        frameMbsOnly = try r.flag()
        if !frameMbsOnly { try r.skip(1) } // mb_adaptive_frame_field_flag
        try r.skip(1) // direct_8x8_inference_flag
        let fieldFactor = frameMbsOnly ? 1 : 2
        let codedWidth = widthMbs * 16
        let codedHeight = fieldFactor * heightMapUnits * 16
        guard codedHeight <= VideoLimits.maxDimension else {
            throw .outOfRange(field: "H.264 SPS coded height", value: Int64(codedHeight), allowed: 16...Int64(VideoLimits.maxDimension))
        }
        width = codedWidth
        height = codedHeight
        if try r.flag() { // frame_cropping_flag
            let bound = Int64(VideoLimits.maxDimension)
            let (left, right) = (try r.ue("frame_crop_left_offset", 0...bound), try r.ue("frame_crop_right_offset", 0...bound))
            let (top, bottom) = (try r.ue("frame_crop_top_offset", 0...bound), try r.ue("frame_crop_bottom_offset", 0...bound))
            let chroma = separatePlanes ? 0 : chromaFormat
            let cropX = chroma == 0 || chroma == 3 ? 1 : 2
            let cropY = (chroma == 1 ? 2 : 1) * fieldFactor
            width = codedWidth - (left + right) * cropX
            height = codedHeight - (top + bottom) * cropY
        }
        guard width > 0, height > 0 else {
            throw .invalid("H.264 SPS: cropping leaves a \(width)x\(height) picture")
        }
    }

    /// From an avcC record (ISO/IEC 14496-15 §5.3.3.1): its first SPS.
    public init(avcC: some Collection<UInt8>) throws(BitstreamError) {
        guard let record = AVCDecoderConfigurationRecord(bytes: avcC) else {
            throw .invalid("avcC: truncated or not version 1")
        }
        guard let sps = record.sps.first, !sps.isEmpty else { throw .invalid("avcC: no SPS") }
        try self.init(nal: sps)
    }
}
