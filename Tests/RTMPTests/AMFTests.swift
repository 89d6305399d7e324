import NIOCore
import Testing
@testable import RTMP

@Suite struct AMFTests {
    @Test func amf0RoundTripsEveryType() throws {
        let values: [AMFValue] = [
            .number(3.5), .boolean(true), .boolean(false), .string("héllo"), .null, .undefined,
            .object([AMFProperty("app", .string("live/sub")), AMFProperty("n", .number(1)),
                     AMFProperty("nested", .object([AMFProperty("x", .null)]))]),
            .ecmaArray([AMFProperty("width", .number(640)), AMFProperty("stereo", .boolean(true))]),
            .strictArray([.number(1), .string("a")]),
            .date(1_700_000_000_000),
            .string(String(repeating: "x", count: 70_000)), // long string
        ]
        var b = AMF0.encode(values)
        #expect(try AMF0.readAll(&b) == values)
    }

    @Test func decodesAnFFmpegConnectCommandByteForByte() throws {
        // Prefix of ffmpeg 5.1's connect: "connect", 1.0, {app: "live", type: "nonprivate"}
        var b = TestBytes.hex("020007636f6e6e656374"
            + "003ff0000000000000" + "030003617070020004" + "6c697665" + "0004747970650200" + "0a6e6f6e70726976617465" + "000009")
        let values = try AMF0.readAll(&b)
        #expect(values == [.string("connect"), .number(1),
                           .object([AMFProperty("app", .string("live")), AMFProperty("type", .string("nonprivate"))])])
    }

    @Test func ecmaArrayCountIsOnlyAHint() throws {
        // Count says 5 but only one property before the end marker (seen from real encoders).
        var b = TestBytes.hex("0800000005" + "000161" + "00" + "0000000000000000" + "000009")
        #expect(try AMF0.read(&b) == .ecmaArray([AMFProperty("a", .number(0))]))
    }

    @Test func amf3SwitchMarkerDecodesAMF3Values() throws {
        // 0x11 then AMF3: integer 5, string "ab" (inline), string ref 0, true, dynamic anonymous object {k: "ab"}
        var b = TestBytes.hex("1104051106056162" + "1103" + "110a0b0103" + "6b" + "0605616201")
        let values = try AMF0.readAll(&b)
        #expect(values == [.number(5), .string("ab"), .boolean(true), .object([AMFProperty("k", .string("ab"))])])
    }

    @Test func amf3IntegersAreSigned29Bit() throws {
        var b = TestBytes.hex("11" + "04ffffffff")
        #expect(try AMF0.read(&b) == .number(-1))
        var c = TestBytes.hex("11" + "04bfffffff") // max positive: 0x0FFFFFFF
        #expect(try AMF0.read(&c) == .number(268_435_455))
    }

    @Test func type17CommandSkipsTheFormatByte() throws {
        var payload = ByteBuffer(bytes: [0])
        AMF0.write([.string("createStream"), .number(4), .null], into: &payload)
        let cmd = try RTMPCommand(message: RTMPMessage(chunkStreamID: 3, type: .amf3Command, streamID: 0, timestamp: 0, payload: payload))
        #expect(cmd.name == "createStream")
        #expect(cmd.transactionID == 4)
    }

    @Test func truncatedAndHostileInputThrows() {
        var truncated = TestBytes.hex("02000a6162")
        #expect(throws: RTMPError.self) { try AMF0.read(&truncated) }
        var deep = ByteBuffer(bytes: Array(repeating: 0x0A, count: 1) + [0, 0, 0, 1])
        for _ in 0..<100 { deep.writeBytes([0x0A, 0, 0, 0, 1]) }
        #expect(throws: RTMPError.self) { try AMF0.read(&deep) }
        var badMarker = ByteBuffer(bytes: [0x42])
        #expect(throws: RTMPError.malformedAMF("unsupported AMF0 marker 66")) { try AMF0.read(&badMarker) }
    }
}
