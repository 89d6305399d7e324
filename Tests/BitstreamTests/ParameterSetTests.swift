import Bitstream
import Testing

/// Parameter sets as a publisher sends them: real ones give their size, crafted ones are
/// refused with an error that names the field, and none traps.
@Suite struct ParameterSetTests {
    static func hex(_ s: String) -> [UInt8] {
        stride(from: 0, to: s.count, by: 2).map { i in
            UInt8(s[s.index(s.startIndex, offsetBy: i)..<s.index(s.startIndex, offsetBy: i + 2)], radix: 16)!
        }
    }

    /// From ffmpeg 5.1 + libx264 / libx265 (testsrc2, High / Main profile).
    static let avcC640x360 = hex("0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000668ebe3cb22c0fdf8f800")
    static let avcC1920x1080 = hex("01640028ffe1001b67640028acd940780227e5c044000003000400000300f03c60c65801000668ebe3cb22c0fdf8f800")
    static let hvcC640x360 = hex("0101600000009000000000003ff000fcfdf8f800000f" + "01" + "a10001" + "002a"
                                 + "42010101600000030090000003000003003fa00502016965959a4932bc05a020000003002000000303c1")
    static let hvcC642x362 = hex("0101600000009000000000003ff000fcfdf8f800000f" + "01" + "a10001" + "002c"
                                 + "42010101600000030090000003000003003fa005120171c9265959a4932bc05a020000030002000003003c10")

    /// A Baseline SPS: 30 fps-agnostic, POC type 2, `refs` reference frames, the given size in macroblocks.
    static func h264SPS(widthMbsMinus1: UInt64, heightMapUnitsMinus1: UInt64 = 44, refs: UInt64 = 1) -> [UInt8] {
        var w = BitWriter()
        w.u(8, 66); w.u(8, 0xC0); w.u(8, 30)
        w.ue(0) // seq_parameter_set_id
        w.ue(0) // log2_max_frame_num_minus4
        w.ue(2) // pic_order_cnt_type
        w.ue(refs)
        w.u(1, 0) // gaps
        w.ue(widthMbsMinus1)
        w.ue(heightMapUnitsMinus1)
        w.u(1, 1); w.u(1, 1); w.u(1, 0); w.u(1, 0) // frame_mbs_only, direct_8x8, no cropping, no VUI
        return w.nal(header: [0x67])
    }

    static func h265SPS(width: UInt64, height: UInt64) -> [UInt8] {
        var w = BitWriter()
        w.u(4, 0); w.u(3, 0); w.u(1, 1)
        for b in hex("01600000009000000000003f") { w.u(8, UInt64(b)) } // Main, level 2.1
        w.ue(0); w.ue(1); w.ue(width); w.ue(height); w.u(1, 0); w.ue(0); w.ue(0)
        return w.nal(header: [0x42, 0x01])
    }

    /// Found by fuzz-tsunits: in-band parameter sets more numerous or longer than an avcC/hvcC
    /// field can count trapped when the record was written (one SRT publisher, every stream down).
    @Test func recordsLeaveOutParameterSetsTheirFieldsCannotCount() throws {
        let sps: [[UInt8]] = Array(repeating: [0x67, 0x64, 0x00, 0x1F], count: 300) + [[0x67] + Array(repeating: 1, count: 70_000)]
        let pps: [[UInt8]] = Array(repeating: [0x68, 0xEE, 0x3C, 0x80], count: 300)
        let avcC = AVCDecoderConfigurationRecord(sps: sps, pps: pps)
        let parsed = try #require(AVCDecoderConfigurationRecord(bytes: avcC.bytes))
        #expect(parsed.sps.count == 31 && parsed.pps.count == 255 && parsed.sps.allSatisfy { $0.count == 4 })
        let hvcC = HEVCDecoderConfigurationRecord(vps: [[0x40, 0x01, 1]], sps: [Array(repeating: 0x42, count: 70_000)], pps: [[0x44, 0x01]])
        let hevc = try #require(HEVCDecoderConfigurationRecord(bytes: hvcC.bytes))
        #expect(hevc.sps.isEmpty && hevc.pps.count == 1)
    }

    @Test func realParameterSetsGiveTheirPictureSize() throws {
        let sd = try H264SPS(avcC: Self.avcC640x360)
        #expect(sd.width == 640 && sd.height == 360 && sd.profileIDC == 100)
        // 1080p is coded as 1088 lines and cropped: the crop must be applied.
        let hd = try H264SPS(avcC: Self.avcC1920x1080)
        #expect(hd.width == 1920 && hd.height == 1080)
        let hevc = try H265SPS(hvcC: Self.hvcC640x360)
        #expect(hevc.width == 640 && hevc.height == 360 && hevc.profileIDC == 1)
        let cropped = try H265SPS(hvcC: Self.hvcC642x362)
        #expect(cropped.width == 642 && cropped.height == 362)
        #expect(try H264SPS(nal: Self.h264SPS(widthMbsMinus1: 79)).width == 1280)
        #expect(try H265SPS(nal: Self.h265SPS(width: 1280, height: 720)).height == 720)
    }

    /// Finding 9: pic_width_in_mbs_minus1 = 2^27 − 1 (a 2^31-wide picture) killed the server
    /// where FFmpeg wants an Int32. The parser refuses it and says which field.
    @Test func craftedH264SizeIsRefusedWithTheField() {
        let sps = Self.h264SPS(widthMbsMinus1: (1 << 27) - 1)
        #expect(throws: BitstreamError.outOfRange(field: "H.264 SPS pic_width_in_mbs_minus1", value: (1 << 27) - 1, allowed: 0...1023)) {
            try H264SPS(nal: sps)
        }
        #expect(throws: BitstreamError.self) { try H264SPS(nal: Self.h264SPS(widthMbsMinus1: 79, heightMapUnitsMinus1: 4096)) }
        let error = #expect(throws: BitstreamError.self) { try H264SPS(nal: Self.h264SPS(widthMbsMinus1: 79, refs: 100)) }
        #expect(error?.description == "H.264 SPS max_num_ref_frames = 100 is outside 0...16")
    }

    @Test func craftedHEVCSizeIsRefused() {
        #expect(throws: BitstreamError.outOfRange(field: "HEVC SPS pic_width_in_luma_samples", value: 1 << 31, allowed: 1...16384)) {
            try H265SPS(nal: Self.h265SPS(width: 1 << 31, height: 720))
        }
        #expect(throws: BitstreamError.self) { try H265SPS(nal: Self.h265SPS(width: 0, height: 720)) }
    }

    @Test func expGolombLongerThan32BitsIsRefused() {
        var w = BitWriter()
        w.u(24, 0x42C01E)
        w.u(40, 0) // 40 leading zeros: no field can be that long
        w.u(8, 0xFF)
        #expect(throws: BitstreamError.invalid("H.264 SPS: Exp-Golomb code longer than 32 bits")) {
            try H264SPS(nal: w.nal(header: [0x67]))
        }
        var r = BitReader(rbsp: [0, 0, 0, 0, 1], context: "test")
        #expect(throws: BitstreamError.invalid("test: Exp-Golomb code longer than 32 bits")) { try r.ue() }
    }

    @Test func wrongOrTruncatedRecordsAreRefused() {
        #expect(throws: BitstreamError.self) { try H264SPS(avcC: [1, 2, 3]) }
        #expect(throws: BitstreamError.self) { try H265SPS(hvcC: [1, 2, 3]) }
        #expect(throws: BitstreamError.invalid("H.264 SPS: NAL unit type 8, expected 7")) { try H264SPS(nal: [0x68, 0xCE]) }
        #expect(throws: BitstreamError.truncated("H.264 SPS")) { try H264SPS(nal: Array(Self.avcC640x360[8..<14])) }
    }

    /// SplitMix64: deterministic random bytes, so a failure reproduces.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    @Test func randomParameterSetsGiveABoundedSizeOrAnError() {
        var rng = Random(state: 9)
        var parsed = 0, refused = 0
        for i in 0..<4000 {
            let body = rng.bytes(Int(rng.next() % 48))
            do throws(BitstreamError) {
                var (w, h) = (0, 0)
                if i % 2 == 0 {
                    let sps = try H264SPS(nal: [0x67] + body)
                    (w, h) = (sps.width, sps.height)
                } else {
                    let sps = try H265SPS(nal: [0x42, 0x01] + body)
                    (w, h) = (sps.width, sps.height)
                }
                #expect((1...VideoLimits.maxDimension).contains(w) && (1...VideoLimits.maxDimension).contains(h))
                parsed += 1
            } catch {
                refused += 1
            }
        }
        #expect(parsed > 0 && refused > 0)
    }

    @Test func audioSpecificConfig() throws {
        let mono = try AACAudioSpecificConfig([0x12, 0x08, 0x56, 0xE5, 0x00])
        #expect(mono.sampleRate == 44100 && mono.channels == 1 && mono.objectType == 2)
        let stereo48k = try AACAudioSpecificConfig([0x11, 0x90])
        #expect(stereo48k.sampleRate == 48000 && stereo48k.channels == 2)
        #expect(throws: BitstreamError.self) { try AACAudioSpecificConfig([0x17, 0x90]) } // index 14
        #expect(throws: BitstreamError.self) { try AACAudioSpecificConfig([0x17]) }
    }
}
