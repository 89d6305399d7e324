import MediaCore
import NIOCore
import Testing
@testable import RTMP

/// Input a peer controls must fail as an RTMPError (or FLVIngestError for media), never trap.
@Suite struct HostileInputTests {
    /// SplitMix64: deterministic, so a failure reproduces.
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

    @Test func randomBytesThroughDecoderSessionAndIngestNeverTrap() throws {
        var rng = Random(state: 42)
        var errors = 0
        var messages = 0
        for _ in 0..<2000 {
            var decoder = RTMPChunkDecoder(maxMessageSize: 1 << 16)
            var session = RTMPServerSession()
            var ingest = FLVIngest()
            // Start with a valid connect and publish so later garbage reaches the media paths.
            var encoder = RTMPChunkEncoder()
            var input = ByteBuffer()
            encoder.encode(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMFProperty("app", .string("a"))])).message(streamID: 0), into: &input)
            encoder.encode(RTMPCommand(name: "publish", transactionID: 2, arguments: [.string("s")]).message(streamID: 1), into: &input)
            input.writeBytes(rng.bytes(Int(rng.next() % 600)))
            do {
                while let m = try decoder.decode(buffer: &input) {
                    messages += 1
                    for action in try session.received(m) {
                        if case .publish(let id, _, _) = action { _ = session.publishAccepted(streamID: id) }
                        if case .media(let media) = action { _ = try ingest.handle(media, wallClock: 0) }
                    }
                }
            } catch is RTMPError {
                errors += 1
            } catch is FLVIngestError {
                errors += 1
            }
        }
        #expect(messages >= 4000) // the valid prefix always decodes
        #expect(errors > 0)
    }

    @Test func randomMediaPayloadsNeverTrap() throws {
        var rng = Random(state: 7)
        var ingest = FLVIngest()
        _ = try ingest.handle(RTMPMessage(chunkStreamID: 6, type: .video, streamID: 1, timestamp: 0,
                                          payload: FLVVideoPacket.sequenceStart(.h264, config: TestBytes.avcC640x360).serialize()), wallClock: 0)
        var units = 0, errors = 0
        for i in 0..<5000 {
            let type: RTMPMessageType = [.video, .audio, .amf0Data][i % 3]
            var payload = ByteBuffer(bytes: rng.bytes(1 + Int(rng.next() % 64)))
            if i % 2 == 0 { payload.setInteger(UInt8(i % 4 == 0 ? 0x17 : 0xAF), at: 0) } // plausible headers, random bodies
            do {
                let events = try ingest.handle(RTMPMessage(chunkStreamID: 4, type: type, streamID: 1, timestamp: UInt32(truncatingIfNeeded: rng.next()), payload: payload), wallClock: 0)
                units += events.count
            } catch is RTMPError {
                errors += 1
            } catch is FLVIngestError {
                errors += 1
            }
        }
        #expect(units > 0 && errors > 0)
        // Random SPS bytes in an avcC: a track or a refusal, never a trap.
        var parsed = 0, rejected = 0
        for _ in 0..<2000 {
            var avcC = ByteBuffer(bytes: [1, 0x64, 0, 0x1E, 0xFF, 0xE1, 0, 40, 0x67])
            avcC.writeBytes(rng.bytes(39))
            var fresh = FLVIngest()
            do {
                _ = try fresh.handle(RTMPMessage(chunkStreamID: 6, type: .video, streamID: 1, timestamp: 0,
                                                 payload: FLVVideoPacket.sequenceStart(.h264, config: avcC).serialize()), wallClock: 0)
                parsed += 1
            } catch is FLVIngestError {
                rejected += 1
            }
        }
        #expect(parsed + rejected == 2000 && rejected > 0)
    }

    @Test func absurdNumbersInMetadataAndCommandsAreClamped() throws {
        var ingest = FLVIngest()
        let meta = AMF0.encode([.string("onMetaData"), .ecmaArray([
            AMFProperty("width", .number(.nan)), AMFProperty("height", .number(1e300)),
            AMFProperty("framerate", .number(.infinity)), AMFProperty("videodatarate", .number(-1e308)),
        ])])
        _ = try ingest.handle(RTMPMessage(chunkStreamID: 5, type: .amf0Data, streamID: 1, timestamp: 0, payload: meta), wallClock: 0)
        guard case .tracks(let t) = try ingest.handle(RTMPMessage(chunkStreamID: 6, type: .video, streamID: 1, timestamp: 0,
                                                                  payload: FLVVideoPacket.sequenceStart(.av1, config: ByteBuffer()).serialize()), wallClock: 0).first
        else { Issue.record("no tracks"); return }
        #expect(t[0].width == 0 && t[0].height == 65_536 && t[0].frameRate == nil && t[0].bitrate == nil)

        var session = RTMPServerSession()
        _ = try session.received(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMFProperty("app", .string("a"))])).message(streamID: 0))
        #expect(try session.received(RTMPCommand(name: "deleteStream", transactionID: 0, arguments: [.number(.nan)]).message(streamID: 0)) == [])
        #expect(try session.received(RTMPCommand(name: "deleteStream", transactionID: 0, arguments: [.number(-1e300)]).message(streamID: 0)) == [])
    }
}
