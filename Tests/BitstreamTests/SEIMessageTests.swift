import Bitstream
import Testing

@Suite struct SEIMessageTests {
    @Test func emulationPreventionRoundTrip() {
        let rbsp: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0]
        let escaped = EmulationPrevention.add(rbsp)
        #expect(escaped == [0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 3, 2, 0, 0, 3, 3, 0, 0, 4, 0, 0])
        #expect(EmulationPrevention.remove(escaped) == rbsp)
        // No start code can appear inside an escaped payload.
        for i in 0..<(escaped.count - 2) {
            #expect(!(escaped[i] == 0 && escaped[i + 1] == 0 && escaped[i + 2] <= 2))
        }
    }

    /// A stamp whose clock bytes contain 00 00 0x: written with emulation prevention, read back equal.
    @Test func latencyStampRoundTripWithEmulationPrevention() throws {
        let stamp = LatencyStamp(wallClockMicros: 0x0000_0001_0000_0300)
        let nal = stamp.message.nal()
        #expect(nal[0] == 0x06)
        #expect(nal.count > 1 + 2 + 24 + 1) // escaping added bytes
        let messages = try #require(SEIMessage.parse(nal: nal))
        #expect(messages == [stamp.message])
        #expect(LatencyStamp(messages[0]) == stamp)
        // In a length-prefixed access unit, next to a slice.
        let au = NALUnits.joinLengthPrefixed([nal[...], [0x65, 0x88, 0x80][...]])
        #expect(LatencyStamp.find(inLengthPrefixed: au) == stamp)
    }

    @Test func hevcPrefixSEI() throws {
        let stamp = LatencyStamp(wallClockMicros: 1_700_000_000_000_000)
        let nal = stamp.message.nal(hevc: true)
        #expect(NALUnits.hevcType(nal[...]) == 39)
        #expect(try #require(SEIMessage.parse(nal: nal, hevc: true)) == [stamp.message])
        #expect(SEIMessage.parse(nal: nal, hevc: false) == nil)
    }

    @Test func severalMessagesAndLongPayloads() throws {
        let long = SEIMessage(payloadType: 5, payload: Array(repeating: 0xAB, count: 16) + Array(repeating: 0, count: 300))
        let other = SEIMessage(payloadType: 300, payload: [1, 2, 3])
        let nal = SEIMessage.nal([long, other])
        #expect(try #require(SEIMessage.parse(nal: nal)) == [long, other])
        #expect(LatencyStamp(long) == nil) // someone else's UUID
    }

    @Test func truncatedSEIIsRejected() {
        let nal = LatencyStamp(wallClockMicros: 42).message.nal()
        #expect(SEIMessage.parse(nal: nal.prefix(10)) == nil)
        #expect(SEIMessage.parse(nal: [0x65, 0x05, 0x01]) == nil) // not an SEI
    }
}
