import MediaCore
import NIOCore
import Testing
@testable import RTMP

private func video(_ ts: UInt32, _ payload: ByteBuffer) -> RTMPMessage {
    RTMPMessage(chunkStreamID: 6, type: .video, streamID: 1, timestamp: ts, payload: payload)
}

private func audio(_ ts: UInt32, _ payload: ByteBuffer) -> RTMPMessage {
    RTMPMessage(chunkStreamID: 4, type: .audio, streamID: 1, timestamp: ts, payload: payload)
}

private func units(_ events: [FLVIngest.Event]) -> [MediaUnit] {
    events.compactMap { if case .unit(let u) = $0 { u } else { nil } }
}

@Suite struct FLVIngestTests {
    @Test func sequenceHeadersBecomeTracksAndFramesBecomeUnits() throws {
        var ingest = FLVIngest()
        // A frame before its sequence header is dropped and counted.
        #expect(try ingest.handle(video(0, FLVVideoPacket.frame(.h264, keyframe: true, compositionTime: 0, data: ByteBuffer(bytes: [1])).serialize()), wallClock: 1).isEmpty)
        #expect(ingest.ignored == 1)

        let meta = AMF0.encode([.string("@setDataFrame"), .string("onMetaData"),
                                .ecmaArray([AMFProperty("width", .number(640)), AMFProperty("framerate", .number(30)),
                                            AMFProperty("encoder", .string("Lavf59.27.100"))])])
        let metaEvents = try ingest.handle(RTMPMessage(chunkStreamID: 5, type: .amf0Data, streamID: 1, timestamp: 0, payload: meta), wallClock: 1)
        guard case .metadata(let dict) = metaEvents.first else { Issue.record("no metadata"); return }
        #expect(dict["width"] == "640" && dict["encoder"] == "Lavf59.27.100")

        let seq = try ingest.handle(video(0, FLVVideoPacket.sequenceStart(.h264, config: TestBytes.avcC640x360).serialize()), wallClock: 2)
        guard case .tracks(let t1) = seq.first else { Issue.record("no tracks"); return }
        #expect(t1.count == 1 && t1[0].codec == .h264 && t1[0].width == 640 && t1[0].height == 360)
        #expect(t1[0].extradata == TestBytes.avcC640x360)
        #expect(t1[0].frameRate == Rational(30_000, 1000))

        var asc = ByteBuffer(bytes: [0xAF, 0])
        asc.writeImmutableBuffer(TestBytes.asc44100Mono)
        guard case .tracks(let t2) = try ingest.handle(audio(0, asc), wallClock: 3).first else { Issue.record("no tracks"); return }
        #expect(t2.map(\.codec) == [.h264, .aac])
        #expect(t2[1].sampleRate == 44100 && t2[1].channels == 1)
        // The same sequence header again changes nothing.
        #expect(try ingest.handle(audio(0, asc), wallClock: 3).isEmpty)

        let frame = FLVVideoPacket.frame(.h264, keyframe: false, compositionTime: 66, data: ByteBuffer(bytes: [0, 0, 0, 1, 0x41])).serialize()
        let u = try #require(units(try ingest.handle(video(1000, frame), wallClock: 42)).first)
        #expect(u.dts == 1000 && u.pts == 1066 && !u.isKeyframe && u.track == .video)
        #expect(u.timebase == .milliseconds && u.ingestWallClock == 42)
        #expect(u.data == ByteBuffer(bytes: [0, 0, 0, 1, 0x41]))
        let a = try #require(units(try ingest.handle(audio(1010, FLVAudioPacket.aacFrame(ByteBuffer(bytes: [7])).serialize()), wallClock: 43)).first)
        #expect(a.track == .audio && a.dts == 1010 && a.data == ByteBuffer(bytes: [7]))
    }

    @Test func hevcOverEnhancedRTMPBecomesAnHEVCTrack() throws {
        var ingest = FLVIngest()
        let seq = try ingest.handle(video(0, FLVVideoPacket.sequenceStart(.hevc, config: TestBytes.hvcC640x360).serialize()), wallClock: 0)
        guard case .tracks(let t) = seq.first else { Issue.record("no tracks"); return }
        #expect(t.first?.codec == .hevc)
        let frame = FLVVideoPacket.frame(.hevc, keyframe: true, compositionTime: 0, data: ByteBuffer(bytes: [9])).serialize()
        #expect(units(try ingest.handle(video(0, frame), wallClock: 0)).first?.isKeyframe == true)
    }

    @Test func jumpingTimestampsAreRepairedNotFatal() throws {
        var ingest = FLVIngest()
        _ = try ingest.handle(video(0, FLVVideoPacket.sequenceStart(.h264, config: TestBytes.avcC640x360).serialize()), wallClock: 0)
        var dts: [Int64] = []
        for ts: UInt32 in [0, 33, 66, 10, 99, 900_000, 900_033] {
            let f = FLVVideoPacket.frame(.h264, keyframe: true, compositionTime: 0, data: ByteBuffer(bytes: [1])).serialize()
            dts.append(contentsOf: units(try ingest.handle(video(ts, f), wallClock: 0)).map(\.dts))
        }
        #expect(dts.count == 7)
        #expect(zip(dts, dts.dropFirst()).allSatisfy { $0 < $1 })
        #expect(ingest.timestamps.repairs == 2)
    }

    /// Finding 9: an SPS declaring a 2^31-wide picture is refused at the sequence header, with
    /// the field named, instead of reaching a muxer as a track.
    @Test func craftedSPSIsRefusedAtTheSequenceHeader() throws {
        var ingest = FLVIngest()
        // pic_width_in_mbs_minus1 = 2^27 − 1 (Baseline, POC type 2): Tests/BitstreamTests builds it field by field.
        let avcC = TestBytes.hex("0142c01effe100106742c01eda00000300080000030005b901000468ce3c80")
        let error = #expect(throws: FLVIngestError.self) {
            try ingest.handle(video(0, FLVVideoPacket.sequenceStart(.h264, config: avcC).serialize()), wallClock: 0)
        }
        #expect(error?.description == "invalid H.264 sequence header: H.264 SPS pic_width_in_mbs_minus1 = 134217727 is outside 0...1023")
        #expect(ingest.video == nil)
        let hvcC = TestBytes.hex("0101600000009000000000003ff000fcfdf8f800000f01a10001002042010101600000030090000003000003003fa0000003001000000300200b45c0")
        #expect(throws: FLVIngestError.self) {
            try ingest.handle(video(0, FLVVideoPacket.sequenceStart(.hevc, config: hvcC).serialize()), wallClock: 0)
        }
    }

    /// Finding 4: codecs HLS cannot serve are refused with their name, not carried silently.
    @Test func unsupportedCodecsAreRefusedByName() throws {
        var ingest = FLVIngest()
        let sorenson = ByteBuffer(bytes: [0x22, 0, 0, 0])
        #expect(throws: FLVIngestError.unsupportedCodec(kind: "video", name: "Sorenson H.263 (FLV codec 2)")) {
            try ingest.handle(video(0, sorenson), wallClock: 0)
        }
        var vp9 = ByteBuffer(bytes: [0x90])
        vp9.writeString("vp09")
        #expect(throws: FLVIngestError.unsupportedCodec(kind: "video", name: "Enhanced RTMP FourCC \"vp09\"")) {
            try ingest.handle(video(0, vp9), wallClock: 0)
        }
        let mp3 = FLVAudioPacket.mp3Frame(ByteBuffer(bytes: [0xFF, 0xFB]), sampleRate: 44100, channels: 2).serialize()
        let error = #expect(throws: FLVIngestError.self) { try ingest.handle(audio(0, mp3), wallClock: 0) }
        #expect(error?.description.contains("MP3") == true)
        #expect(ingest.audio == nil)
    }

    /// Finding 12: 600 frames whose timestamps run backwards keep ~600 frame durations of media.
    @Test func descendingTimestampsKeepRealDurations() throws {
        var ingest = FLVIngest()
        _ = try ingest.handle(video(0, FLVVideoPacket.sequenceStart(.h264, config: TestBytes.avcC640x360).serialize()), wallClock: 0)
        var dts: [Int64] = []
        let frame = FLVVideoPacket.frame(.h264, keyframe: true, compositionTime: 0, data: ByteBuffer(bytes: [1])).serialize()
        for i in 0..<100 { dts += units(try ingest.handle(video(UInt32(i * 40), frame), wallClock: 0)).map(\.dts) }
        for i in 0..<600 { dts += units(try ingest.handle(video(UInt32(30_000 - i * 40), frame), wallClock: 0)).map(\.dts) }
        #expect(dts.count == 700)
        #expect(zip(dts, dts.dropFirst()).allSatisfy { $0 < $1 })
        // The descending part spans 600 frames of 40 ms (one clamped frame of 1 ms aside).
        let span = dts[699] - dts[99]
        #expect(span >= 599 * 40 && span <= 600 * 40)
    }
}
