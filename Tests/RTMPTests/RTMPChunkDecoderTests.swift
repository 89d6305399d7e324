import NIOCore
import NIOTestUtils
import Testing
@testable import RTMP

private func message(_ csid: Int, _ type: RTMPMessageType, stream: UInt32 = 1, ts: UInt32, _ payload: ByteBuffer) -> RTMPMessage {
    RTMPMessage(chunkStreamID: csid, type: type, streamID: stream, timestamp: ts, payload: payload)
}

private func encode(_ messages: [RTMPMessage], encoder: inout RTMPChunkEncoder) -> ByteBuffer {
    var out = ByteBuffer()
    for m in messages { encoder.encode(m, into: &out) }
    return out
}

private func decodeAll(_ bytes: ByteBuffer, decoder: inout RTMPChunkDecoder, step: Int = 1) throws -> [RTMPMessage] {
    var out: [RTMPMessage] = []
    var rest = bytes
    var pending = ByteBuffer()
    while rest.readableBytes > 0 {
        var piece = rest.readSlice(length: min(step, rest.readableBytes))!
        pending.writeBuffer(&piece)
        while let m = try decoder.decode(buffer: &pending) { out.append(m) }
    }
    return out
}

@Suite struct RTMPChunkDecoderTests {
    @Test func verifierByteByByteWithHeaderCompressionAndChunkSizeChange() throws {
        var encoder = RTMPChunkEncoder()
        let messages = [
            message(3, .amf0Command, stream: 0, ts: 0, AMF0.encode([.string("connect"), .number(1), .object([AMFProperty("app", .string("live"))])])),
            message(6, .video, ts: 0, TestBytes.pattern(300)),       // fmt 0, three chunks
            message(6, .video, ts: 33, TestBytes.pattern(300, seed: 1)), // fmt 2 (same length/type)
            message(6, .video, ts: 66, TestBytes.pattern(300, seed: 2)), // fmt 3 (same delta)
            message(6, .video, ts: 100, TestBytes.pattern(17)),       // fmt 1
            message(4, .audio, ts: 20, TestBytes.pattern(0)),          // empty message
        ]
        let bytes = encode(messages, encoder: &encoder)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(bytes, messages)],
            decoderFactory: { RTMPChunkDecoder() })
    }

    @Test func setChunkSizeAppliesToTheFollowingChunksBothWays() throws {
        var encoder = RTMPChunkEncoder()
        let messages = [
            RTMPControlMessages.setChunkSize(4096),
            message(6, .video, ts: 0, TestBytes.pattern(10_000)),
            RTMPControlMessages.setChunkSize(1),
            message(4, .audio, ts: 5, TestBytes.pattern(50)),
            RTMPControlMessages.setChunkSize(128), // back to the start, so the verifier can replay the bytes
        ]
        let bytes = encode(messages, encoder: &encoder)
                var decoder = RTMPChunkDecoder()
        let out = try decodeAll(bytes, decoder: &decoder, step: 7)
        #expect(out == messages)
        // 16 (SetChunkSize 4096) + 12+10000+2 (three 4096-byte chunks) + 1+4 (fmt 3) + 12+50+49 (1-byte chunks)
        // + 1+4+3 (the last SetChunkSize, itself in 1-byte chunks).
        #expect(bytes.readableBytes == 16 + 10_014 + 5 + 111 + 8)
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(bytes, messages)], decoderFactory: { RTMPChunkDecoder() })
    }

    @Test func interleavedChunkStreamsReassemble() throws {
        // Hand-built: csid 4 fmt0 audio of 200 bytes, csid 6 fmt0 video of 130, then continuations.
        var b = ByteBuffer()
        b.writeBytes([0x04, 0, 0, 10, 0, 0, 200, 8, 1, 0, 0, 0])
        b.writeImmutableBuffer(TestBytes.pattern(128))
        b.writeBytes([0x06, 0, 0, 20, 0, 0, 130, 9, 1, 0, 0, 0])
        b.writeImmutableBuffer(TestBytes.pattern(128, seed: 9))
        b.writeBytes([0xC4])
        b.writeImmutableBuffer(TestBytes.pattern(200).getSlice(at: 128, length: 72)!)
        b.writeBytes([0xC6])
        b.writeImmutableBuffer(TestBytes.pattern(130, seed: 9).getSlice(at: 128, length: 2)!)
        let expected = [message(4, .audio, ts: 10, TestBytes.pattern(200)), message(6, .video, ts: 20, TestBytes.pattern(130, seed: 9))]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(b, expected)], decoderFactory: { RTMPChunkDecoder() })
    }

    @Test func twoAndThreeByteBasicHeaders() throws {
        var encoder = RTMPChunkEncoder()
        let messages = [message(64, .video, ts: 1, TestBytes.pattern(200)), message(400, .audio, ts: 2, TestBytes.pattern(300))]
        let bytes = encode(messages, encoder: &encoder)
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(bytes, messages)], decoderFactory: { RTMPChunkDecoder() })
    }

    @Test func extendedTimestampRepeatedOnType3ChunksAdobeStyle() throws {
        var encoder = RTMPChunkEncoder()
        let messages = [
            message(6, .video, ts: 0x0100_0000, TestBytes.pattern(300)),
            message(6, .video, ts: 0x0100_0000 + 33, TestBytes.pattern(300)),
            message(6, .video, ts: 0xFFFF_FFF0, TestBytes.pattern(5)),
        ]
        let bytes = encode(messages, encoder: &encoder)
        var decoder = RTMPChunkDecoder()
        #expect(try decodeAll(bytes, decoder: &decoder) == messages)
        #expect(decoder.type3RepeatsExtendedTimestamp == true)
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(bytes, messages)], decoderFactory: { RTMPChunkDecoder() })
    }

    @Test func extendedTimestampNotRepeatedOnType3ChunksLibrtmpStyle() throws {
        var encoder = RTMPChunkEncoder()
        encoder.repeatsExtendedTimestampInType3 = false
        let messages = [
            message(6, .video, ts: 0x0123_4567, TestBytes.pattern(1000)),
            message(6, .video, ts: 0x0123_4567 + 40, TestBytes.pattern(129)),
        ]
        let bytes = encode(messages, encoder: &encoder)
        var decoder = RTMPChunkDecoder()
        #expect(try decodeAll(bytes, decoder: &decoder) == messages)
        #expect(decoder.type3RepeatsExtendedTimestamp == false)
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(bytes, messages)], decoderFactory: { RTMPChunkDecoder() })
    }

    @Test func type3NewMessageAfterType0AddsTheType0Timestamp() throws {
        // Spec 5.3.1.2.4: a fmt-3 chunk that starts a message after a fmt-0 one reuses its timestamp as delta.
        var b = ByteBuffer()
        b.writeBytes([0x04, 0, 0, 20, 0, 0, 2, 8, 1, 0, 0, 0, 0xAF, 0x01])
        b.writeBytes([0xC4, 0xAF, 0x01])
        var decoder = RTMPChunkDecoder()
        let out = try decodeAll(b, decoder: &decoder)
        #expect(out.map(\.timestamp) == [20, 40])
    }

    @Test func abortDiscardsThePartialMessage() throws {
        var b = ByteBuffer()
        b.writeBytes([0x06, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0]) // 256-byte video, first chunk only
        b.writeImmutableBuffer(TestBytes.pattern(128))
        var encoder = RTMPChunkEncoder()
        encoder.encode(RTMPControlMessages.abort(chunkStreamID: 6), into: &b)
        b.writeBytes([0x46, 0, 0, 5, 0, 0, 3, 9]) // fmt 1: a new 3-byte message on csid 6
        b.writeBytes([1, 2, 3])
        var decoder = RTMPChunkDecoder()
        let out = try decodeAll(b, decoder: &decoder)
        #expect(out.count == 2)
        #expect(out[0].type == .abort)
        #expect(out[1].payload == ByteBuffer(bytes: [1, 2, 3]))
        #expect(out[1].timestamp == 5)
    }

    @Test func messageLongerThanTheCapIsRejected() {
        var b = ByteBuffer()
        b.writeBytes([0x06, 0, 0, 0, 0xFF, 0xFF, 0xFF, 9, 1, 0, 0, 0])
        var decoder = RTMPChunkDecoder(maxMessageSize: 1 << 20)
        #expect(throws: RTMPError.messageTooLarge(length: 0xFFFFFF, limit: 1 << 20)) {
            _ = try decoder.decode(buffer: &b)
        }
    }

    @Test func bufferedBytesAcrossChunkStreamsAreCapped() {
        var decoder = RTMPChunkDecoder(maxMessageSize: 1000, maxBufferedBytes: 1000)
        var b = ByteBuffer()
        for csid in 4..<20 {
            b.writeBytes([UInt8(csid), 0, 0, 0, 0, 0x03, 0xE8, 9, 1, 0, 0, 0]) // 1000-byte messages, one chunk each
            b.writeImmutableBuffer(TestBytes.pattern(128))
        }
        #expect(throws: RTMPError.tooMuchBufferedInput(bytes: 1024, limit: 1000)) {
            while try decoder.decode(buffer: &b) != nil {}
        }
    }

    @Test func compressedHeaderOnAnUnknownChunkStreamIsRejected() {
        var b = ByteBuffer(bytes: [0x45, 0, 0, 0, 0, 0, 1, 9, 0])
        var decoder = RTMPChunkDecoder()
        #expect(throws: RTMPError.chunkWithoutHeader(chunkStreamID: 5)) { _ = try decoder.decode(buffer: &b) }
    }

    @Test func chunkSizeZeroIsRejected() {
        var b = ByteBuffer()
        var encoder = RTMPChunkEncoder()
        encoder.encode(RTMPMessage(chunkStreamID: 2, type: .setChunkSize, streamID: 0, timestamp: 0,
                                   payload: ByteBuffer(bytes: [0, 0, 0, 0])), into: &b)
        var decoder = RTMPChunkDecoder()
        #expect(throws: RTMPError.invalidChunkSize(0)) { _ = try decoder.decode(buffer: &b) }
    }
}
