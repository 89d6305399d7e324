import Bitstream
import MediaCore
import Testing
@testable import Ingest

/// Finding 4 and 9 on the MPEG-TS path: HEVC is carried with its parameter sets, codecs Sluice
/// cannot serve are refused or dropped by name, and a crafted SPS ends the publish.
@Suite struct TSUnitBuilderCodecTests {
    static func hex(_ s: String) -> [UInt8] {
        stride(from: 0, to: s.count, by: 2).map { i in
            UInt8(s[s.index(s.startIndex, offsetBy: i)..<s.index(s.startIndex, offsetBy: i + 2)], radix: 16)!
        }
    }

    /// libx265's SPS for 640x360; VPS and PPS need only their NAL types here.
    static let sps = hex("42010101600000030090000003000003003fa00502016965959a4932bc05a020000003002000000303c1")
    static let vps: [UInt8] = [0x40, 0x01, 0x0C, 0x01]
    static let pps: [UInt8] = [0x44, 0x01, 0xC1, 0x72]
    static let idr: [UInt8] = [0x26, 0x01, 0xAF, 0x05] // IDR_W_RADL (19)
    static let trail: [UInt8] = [0x02, 0x01, 0xD0, 0x09] // TRAIL_R (1)

    @Test func hevcBecomesATrackWithItsHvcC() throws {
        var b = TSUnitBuilder(streams: [(0, "hevc", nil)])
        let key = try b.units(stream: 0, bytes: TSUnitBuilderTests.annexB([[0x46, 0x01, 0x50], Self.vps, Self.sps, Self.pps, Self.idr]),
                              pts: 0, dts: 0, timebase: .mpegTS, wallClock: 0)
        #expect(b.isReady && b.tracks.map(\.codec) == [.hevc])
        #expect(b.tracks[0].width == 640 && b.tracks[0].height == 360)
        let hvcC = try #require(HEVCDecoderConfigurationRecord(bytes: b.tracks[0].extradata!.readableBytesView))
        #expect(hvcC.vps == [Self.vps] && hvcC.sps == [Self.sps] && hvcC.pps == [Self.pps])
        #expect(key.count == 1 && key[0].isKeyframe)
        #expect(Array(key[0].data.readableBytesView) == [0, 0, 0, 4] + Self.idr) // AUD and parameter sets removed
        let next = try b.units(stream: 0, bytes: TSUnitBuilderTests.annexB([Self.trail]), pts: 3000, dts: 3000, timebase: .mpegTS, wallClock: 0)
        #expect(next.count == 1 && !next[0].isKeyframe)
    }

    @Test func craftedSPSEndsThePublish() {
        var b = TSUnitBuilder(streams: [(0, "h264", nil)])
        // pic_width_in_mbs_minus1 = 2^27 − 1 (see BitstreamTests).
        let crafted = Self.hex("6742c01eda00000300080000030005b9")
        #expect(throws: BitstreamError.self) {
            try b.units(stream: 0, bytes: TSUnitBuilderTests.annexB([crafted, TSUnitBuilderTests.pps, TSUnitBuilderTests.idr]),
                        pts: 0, dts: 0, timebase: .mpegTS, wallClock: 0)
        }
        #expect(!b.isReady)
    }

    @Test func unsupportedVideoIsRefusedAndUnsupportedAudioOnlyDropped() {
        let mpeg2 = TSUnitBuilder.refusal(streams: [("mpeg2video", .video), ("mp2", .audio)])
        #expect(mpeg2?.contains("video codec mpeg2video is not supported") == true)
        #expect(TSUnitBuilder.refusal(streams: [("h264", .video), ("mp2", .audio)]) == nil)
        #expect(TSUnitBuilder.refusal(streams: [("hevc", .video), ("aac", .audio)]) == nil)
        #expect(TSUnitBuilder.refusal(streams: [("aac", .audio)]) == nil)
        #expect(TSUnitBuilder.refusal(streams: [("mp2", .audio)])?.contains("no stream Sluice can carry (mp2)") == true)
    }

    /// Transcoded AAC re-enters as ADTS: the same path as AAC from the publisher.
    @Test func transcodedAACFramesBecomeADTSAndThenUnits() throws {
        let frames: [[UInt8]] = [[1, 2, 3], [4, 5]]
        let adts = TSUnitBuilder.adts(frames, sampleRate: 48000, channels: 2)
        let parsed = ADTSHeader.frames(in: adts)
        #expect(parsed.map { Array($0.payload) } == frames)
        #expect(parsed.first?.header.sampleRate == 48000 && parsed.first?.header.channelConfiguration == 2)
        #expect(parsed.first?.header.audioSpecificConfig == [0x11, 0x90])
        var b = TSUnitBuilder(streams: [(1, "aac", nil)])
        let units = try b.units(stream: 1, bytes: adts, pts: 0, dts: 0, timebase: .mpegTS, wallClock: 0)
        #expect(units.map(\.pts) == [0, 1920])
    }
}
