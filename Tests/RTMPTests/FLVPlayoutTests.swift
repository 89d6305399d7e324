import MediaCore
import NIOCore
import Testing
@testable import RTMP

private func unit(_ track: TrackKind, _ dts: Int64, key: Bool = true) -> MediaUnit {
    MediaUnit(track: track, pts: dts, dts: dts, timebase: .milliseconds, isKeyframe: key, data: ByteBuffer(bytes: [1]), ingestWallClock: 0)
}

@Suite struct FLVPlayoutTests {
    let tracks = [
        TrackInfo(codec: .h264, timebase: .milliseconds, extradata: TestBytes.avcC640x360, width: 640, height: 360),
        TrackInfo(codec: .aac, timebase: .milliseconds, extradata: TestBytes.asc44100Mono, sampleRate: 44100, channels: 1),
    ]

    @Test func metadataAndSequenceHeadersComeFirst() throws {
        var p = FLVPlayout(streamID: 1)
        let first = p.tracksChanged(tracks)
        #expect(first.map(\.type) == [.amf0Data, .video, .audio])
        var meta = first[0].payload
        let values = try AMF0.readAll(&meta)
        #expect(values.first == .string("onMetaData"))
        #expect(values.last?["width"] == .number(640))
        #expect(values.last?["audiosamplerate"] == .number(44100))
        #expect(try FLVVideoPacket.parse(first[1].payload) == .sequenceStart(.h264, config: TestBytes.avcC640x360))
        #expect(try FLVAudioPacket.parse(first[2].payload) == .aacSequenceHeader(TestBytes.asc44100Mono))
    }

    @Test func videoStartsAtAKeyframeAndTimestampsStartAtZero() {
        var p = FLVPlayout(streamID: 1)
        _ = p.tracksChanged(tracks)
        #expect(p.unit(unit(.video, 5000, key: false)).isEmpty)
        #expect(p.unit(unit(.video, 5033)).map(\.timestamp) == [0])
        #expect(p.unit(unit(.audio, 5040)).map(\.timestamp) == [7])
    }

    @Test func discontinuityKeepsTimestampsMonotonic() {
        var p = FLVPlayout(streamID: 1)
        _ = p.tracksChanged(tracks)
        _ = p.unit(unit(.video, 1000))
        let before = p.unit(unit(.video, 2000)).map(\.timestamp)
        p.discontinuity()
        let after = p.unit(unit(.video, 0)).map(\.timestamp)
        #expect(before == [1000])
        #expect(after == [1001])
    }
}
