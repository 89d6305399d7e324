import Bitstream
import Testing

@Suite struct NALUnitsTests {
    let sps: [UInt8] = [0x67, 0x64, 0x00, 0x1F, 0xAC, 0xD9]
    let pps: [UInt8] = [0x68, 0xEB, 0xE3, 0xCB]
    let idr: [UInt8] = [0x65, 0x88, 0x84, 0x00, 0x21]

    @Test func annexBToLengthPrefixedAndBack() throws {
        // 4-byte and 3-byte start codes, and a trailing zero that belongs to the next start code.
        let annexB: [UInt8] = [0, 0, 0, 1] + sps + [0, 0, 1] + pps + [0, 0, 0, 1] + idr
        let units = NALUnits.splitAnnexB(annexB).map(Array.init)
        #expect(units == [sps, pps, idr])
        let prefixed = NALUnits.annexBToLengthPrefixed(annexB)
        #expect(prefixed.prefix(4) == [0, 0, 0, 6])
        #expect(try #require(NALUnits.splitLengthPrefixed(prefixed)).map(Array.init) == [sps, pps, idr])
        let back = try #require(NALUnits.lengthPrefixedToAnnexB(prefixed))
        #expect(NALUnits.splitAnnexB(back).map(Array.init) == [sps, pps, idr])
    }

    @Test func truncatedLengthPrefixIsRejected() {
        #expect(NALUnits.splitLengthPrefixed([0, 0, 0, 9, 1, 2, 3]) == nil)
        #expect(NALUnits.splitLengthPrefixed([0, 0, 1]) == nil)
    }

    /// Found by Fuzz/: a zero-byte prefix never advanced and grew memory until killed.
    @Test func prefixSizesOutside1To4AreRejected() {
        #expect(NALUnits.splitLengthPrefixed([10], lengthSize: 0) == nil)
        #expect(NALUnits.lengthPrefixedToAnnexB([0, 0, 0, 0, 1, 7], lengthSize: 5) == nil)
        #expect(NALUnits.splitLengthPrefixed([1, 7], lengthSize: 1)?.map(Array.init) == [[7]])
    }

    @Test func nalTypes() {
        #expect(NALUnits.h264Type(idr[...]) == 5)
        #expect(NALUnits.hevcType([0x40, 0x01][...]) == 32)
    }

    @Test func avcCRoundTrip() throws {
        let record = try #require(AVCDecoderConfigurationRecord(annexB: [0, 0, 0, 1] + sps + [0, 0, 0, 1] + pps))
        #expect(record.profile == 0x64 && record.level == 0x1F)
        #expect(record.codecString == "avc1.64001f")
        let parsed = try #require(AVCDecoderConfigurationRecord(bytes: record.bytes))
        #expect(parsed == record)
        #expect(parsed.sps == [sps] && parsed.pps == [pps])
        #expect(AVCDecoderConfigurationRecord(bytes: record.bytes.dropLast(2)) == nil)
    }

    @Test func hvcCRoundTrip() throws {
        let vps: [UInt8] = [0x40, 0x01, 0x0C, 0x01, 0xFF, 0xFF]
        // SPS: header, vps/sub-layer byte, then profile_tier_level (Main, level 3.0 = 90).
        let hevcSPS: [UInt8] = [0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5A, 0xA0]
        let hevcPPS: [UInt8] = [0x44, 0x01, 0xC1, 0x72]
        var annexB: [UInt8] = []
        for unit in [vps, hevcSPS, hevcPPS] { annexB += [0, 0, 0, 1] + unit }
        let record = try #require(HEVCDecoderConfigurationRecord(annexB: annexB))
        let bytes = record.bytes
        #expect(bytes[0] == 1 && bytes[1] == 0x01 && bytes[12] == 0x5A) // Main profile, level 90
        #expect(bytes[21] & 0x03 == 3) // 4-byte lengths
        #expect(HEVCDecoderConfigurationRecord(bytes: bytes) == record)
        #expect(HEVCDecoderConfigurationRecord(bytes: bytes.dropLast(1)) == nil)
    }
}

