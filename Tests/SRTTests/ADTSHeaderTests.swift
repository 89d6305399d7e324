import Bitstream
import Testing

@Suite struct ADTSHeaderTests {
    /// AAC LC, 48 kHz (index 3), stereo, no CRC, a frame of `length` bytes in all.
    static func header(length: Int) -> [UInt8] {
        [0xFF, 0xF1, 0x4C, 0x80 | UInt8((length >> 11) & 0x03), UInt8((length >> 3) & 0xFF), UInt8((length & 0x07) << 5) | 0x1F, 0xFC]
    }

    @Test func parsesHeaderAndBuildsAudioSpecificConfig() throws {
        let h = try #require(ADTSHeader(Self.header(length: 100)))
        #expect(h.objectType == 2 && h.sampleRate == 48000 && h.channelConfiguration == 2)
        #expect(h.frameLength == 100 && h.headerLength == 7)
        #expect(h.audioSpecificConfig == [0x11, 0x90]) // AAC LC, 48 kHz, 2 channels
    }

    @Test func splitsBackToBackFramesAndStopsAtGarbage() {
        let a = Self.header(length: 10) + [1, 2, 3]
        let b = Self.header(length: 9) + [4, 5]
        let frames = ADTSHeader.frames(in: a + b + [0x00, 0x01])
        #expect(frames.map { Array($0.payload) } == [[1, 2, 3], [4, 5]])
    }

    @Test func rejectsNonADTSAndImpossibleLengths() {
        #expect(ADTSHeader([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]) == nil)
        #expect(ADTSHeader(Self.header(length: 3)) == nil)
        #expect(ADTSHeader([0xFF, 0xF1]) == nil)
    }
}
