import MediaCore
import NIOCore
import Testing
@testable import RTMP

@Suite struct FLVPacketTests {
    @Test func avcFrameWithNegativeCompositionTimeRoundTrips() throws {
        let packet = FLVVideoPacket.frame(.h264, keyframe: false, compositionTime: -33, data: ByteBuffer(bytes: [0, 0, 0, 1, 0x41]))
        let bytes = packet.serialize()
        #expect(Array(bytes.readableBytesView.prefix(5)) == [0x27, 0x01, 0xFF, 0xFF, 0xDF])
        #expect(try FLVVideoPacket.parse(bytes) == packet)
    }

    /// The SPS parsing itself is tested in BitstreamTests; here, that ingest sizes the track from it.
    @Test func sequenceHeadersGiveThePictureSize() throws {
        func size(_ codec: CodecID, _ config: ByteBuffer) throws -> (Int, Int)? {
            var ingest = FLVIngest()
            let message = RTMPMessage(chunkStreamID: 6, type: .video, streamID: 1, timestamp: 0,
                                      payload: FLVVideoPacket.sequenceStart(codec, config: config).serialize())
            guard case .tracks(let t) = try ingest.handle(message, wallClock: 0).first else { return nil }
            return (t[0].width, t[0].height)
        }
        #expect(try size(.h264, TestBytes.avcC640x360)! == (640, 360))
        #expect(try size(.h264, TestBytes.avcC1920x1080)! == (1920, 1080))
        #expect(try size(.hevc, TestBytes.hvcC640x360)! == (640, 360))
        #expect(try size(.hevc, TestBytes.hvcC642x362)! == (642, 362))
        #expect(throws: FLVIngestError.self) { try size(.hevc, ByteBuffer(bytes: [1, 2, 3])) }
    }

    @Test func enhancedRTMPHEVCPacketTypes() throws {
        // IsExHeader | keyframe | SequenceStart, "hvc1", config
        var seq = ByteBuffer(bytes: [0x90])
        seq.writeString("hvc1")
        seq.writeBytes([1, 2, 3])
        #expect(try FLVVideoPacket.parse(seq) == .sequenceStart(.hevc, config: ByteBuffer(bytes: [1, 2, 3])))
        // CodedFrames with a 24-bit composition time
        var coded = ByteBuffer(bytes: [0x91])
        coded.writeString("hvc1")
        coded.writeBytes([0, 0, 40, 9, 9])
        #expect(try FLVVideoPacket.parse(coded) == .frame(.hevc, keyframe: true, compositionTime: 40, data: ByteBuffer(bytes: [9, 9])))
        // CodedFramesX: no composition time field, inter frame
        var codedX = ByteBuffer(bytes: [0xA3])
        codedX.writeString("hvc1")
        codedX.writeBytes([7])
        #expect(try FLVVideoPacket.parse(codedX) == .frame(.hevc, keyframe: false, compositionTime: 0, data: ByteBuffer(bytes: [7])))
        var end = ByteBuffer(bytes: [0x92])
        end.writeString("hvc1")
        #expect(try FLVVideoPacket.parse(end) == .sequenceEnd(.hevc))
        var meta = ByteBuffer(bytes: [0x94])
        meta.writeString("hvc1")
        meta.writeBytes([5])
        #expect(try FLVVideoPacket.parse(meta) == .metadata(ByteBuffer(bytes: [5])))
        var ts = ByteBuffer(bytes: [0x95])
        ts.writeString("av01")
        #expect(try FLVVideoPacket.parse(ts) == .ignored("MPEG2TSSequenceStart"))
        let frame = FLVVideoPacket.frame(.hevc, keyframe: false, compositionTime: 80, data: ByteBuffer(bytes: [1]))
        #expect(try FLVVideoPacket.parse(frame.serialize()) == frame)
    }

    @Test func enhancedRTMPAV1HasNoCompositionTime() throws {
        var coded = ByteBuffer(bytes: [0x91])
        coded.writeString("av01")
        coded.writeBytes([0x12, 0x00])
        #expect(try FLVVideoPacket.parse(coded) == .frame(.av1, keyframe: true, compositionTime: 0, data: ByteBuffer(bytes: [0x12, 0x00])))
        let seq = FLVVideoPacket.sequenceStart(.av1, config: ByteBuffer(bytes: [0x81, 0, 0, 0]))
        #expect(try FLVVideoPacket.parse(seq.serialize()) == seq)
        var vp9 = ByteBuffer(bytes: [0x90])
        vp9.writeString("vp09")
        #expect(try FLVVideoPacket.parse(vp9) == .unsupportedCodec("Enhanced RTMP FourCC \"vp09\""))
    }

    @Test func aacPacketsAndConfig() throws {
        var seq = ByteBuffer(bytes: [0xAF, 0])
        seq.writeImmutableBuffer(TestBytes.asc44100Mono)
        #expect(try FLVAudioPacket.parse(seq) == .aacSequenceHeader(TestBytes.asc44100Mono))
        let frame = FLVAudioPacket.aacFrame(ByteBuffer(bytes: [1, 2]))
        #expect(try FLVAudioPacket.parse(frame.serialize()) == frame)
        #expect(try FLVAudioPacket.parse(ByteBuffer(bytes: [0x6F, 1])) == .unsupportedCodec("Nellymoser (FLV sound format 6)"))
    }

    @Test func truncatedTagsThrow() {
        #expect(throws: RTMPError.self) { try FLVVideoPacket.parse(ByteBuffer()) }
        #expect(throws: RTMPError.self) { try FLVVideoPacket.parse(ByteBuffer(bytes: [0x17, 1])) }
        #expect(throws: RTMPError.self) { try FLVVideoPacket.parse(ByteBuffer(bytes: [0x90, 0x68])) }
        #expect(throws: RTMPError.self) { try FLVAudioPacket.parse(ByteBuffer(bytes: [0xAF])) }
    }
}
