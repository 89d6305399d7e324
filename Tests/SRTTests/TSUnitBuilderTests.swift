import Bitstream
import MediaCore
import Testing
@testable import Ingest

@Suite struct TSUnitBuilderTests {
    /// libx264's SPS for 640x360 (the parameter sets are parsed: a fake one is refused).
    static let sps: [UInt8] = [0x67, 0x64, 0x00, 0x1E, 0xAC, 0xD9, 0x40, 0xA0, 0x2F, 0xF9, 0x70, 0x11, 0x00, 0x00, 0x03,
                               0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x3C, 0x0F, 0x16, 0x2D, 0x96]
    static let pps: [UInt8] = [0x68, 0xEE, 0x3C, 0x80]
    static let idr: [UInt8] = [0x65, 0x88, 0x84, 0x21] // a NAL never ends in 0x00
    static let slice: [UInt8] = [0x41, 0x9A, 0x02]

    static func annexB(_ nals: [[UInt8]]) -> [UInt8] { nals.flatMap { [0, 0, 0, 1] + $0 } }

    @Test func holdsUnitsUntilEveryTrackIsConfiguredThenConverts() throws {
        var b = TSUnitBuilder(streams: [(0, "h264", nil), (1, "aac", nil)])
        let tb = Rational.mpegTS
        // A slice before any SPS/PPS cannot be decoded: dropped and counted.
        #expect(try b.units(stream: 0, bytes: Self.annexB([Self.slice]), pts: 0, dts: 0, timebase: tb, wallClock: 1).isEmpty)
        #expect(try b.units(stream: 0, bytes: Self.annexB([[0x09, 0xF0], Self.sps, Self.pps, Self.idr]), pts: 3000, dts: 3000, timebase: tb, wallClock: 2).isEmpty)
        #expect(!b.isReady)
        let adts = ADTSHeaderTests.header(length: 9) + [7, 8] + ADTSHeaderTests.header(length: 8) + [9]
        let audio = try b.units(stream: 1, bytes: adts, pts: 9000, dts: 9000, timebase: tb, wallClock: 3)
        #expect(b.isReady && b.tracksChanged)
        #expect(b.tracks.map(\.codec) == [.h264, .aac])
        let avcC = try #require(AVCDecoderConfigurationRecord(bytes: b.tracks[0].extradata!.readableBytesView))
        #expect(avcC.sps == [Self.sps] && avcC.pps == [Self.pps])
        #expect(b.tracks[1].sampleRate == 48000 && b.tracks[1].channels == 2)
        // Two ADTS frames in one PES: two units, the second 1024 samples (1920 ticks at 90 kHz) later.
        #expect(audio.map(\.pts) == [9000, 10920])
        #expect(audio.map { Array($0.data.readableBytesView) } == [[7, 8], [9]])
        #expect(b.droppedBeforeConfig == 2) // the early slice, and the keyframe that came before the audio config

        // After configuration, video still starts at a keyframe.
        #expect(try b.units(stream: 0, bytes: Self.annexB([Self.slice]), pts: 4500, dts: 4500, timebase: tb, wallClock: 4).isEmpty)
        let key = try b.units(stream: 0, bytes: Self.annexB([Self.sps, Self.pps, Self.idr]), pts: 5000, dts: 5000, timebase: tb, wallClock: 4)
        #expect(key.count == 1 && key[0].isKeyframe)
        #expect(Array(key[0].data.readableBytesView) == [0, 0, 0, 4] + Self.idr) // parameter sets live in the avcC
        let video = try b.units(stream: 0, bytes: Self.annexB([Self.slice]), pts: 6000, dts: 6000, timebase: tb, wallClock: 4)
        #expect(video.count == 1 && !video[0].isKeyframe)
        #expect(Array(video[0].data.readableBytesView) == [0, 0, 0, 3] + Self.slice)
    }

    @Test func newParameterSetsUpdateTheTracks() throws {
        var b = TSUnitBuilder(streams: [(0, "h264", nil)])
        _ = try b.units(stream: 0, bytes: Self.annexB([Self.sps, Self.pps, Self.idr]), pts: 0, dts: 0, timebase: .mpegTS, wallClock: 0)
        b.tracksChanged = false
        let key = try b.units(stream: 0, bytes: Self.annexB([Self.sps, Self.pps, Self.idr]), pts: 1, dts: 1, timebase: .mpegTS, wallClock: 0)
        #expect(key.first?.isKeyframe == true && !b.tracksChanged)
        let other: [UInt8] = [0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x01, 0x40, 0x16, 0xE4] // Baseline 1280x720
        _ = try b.units(stream: 0, bytes: Self.annexB([other, Self.pps, Self.idr]), pts: 2, dts: 2, timebase: .mpegTS, wallClock: 0)
        #expect(b.tracksChanged)
    }
}
