import Foundation
import OpusCodec
import SRTTransport
import Testing

@Suite struct OpusRoundTripTests {
    static let rate = 48000

    static func tone(frequency: Double, seconds: Double) -> [Int16] {
        (0..<Int(Double(rate) * seconds)).map { Int16(12000 * sin(2 * .pi * frequency * Double($0) / Double(rate))) }
    }

    /// Frequency from zero crossings: robust and independent of codec delay.
    static func dominantFrequency(_ x: ArraySlice<Int16>) -> Double {
        var crossings = 0
        var previous = x.first ?? 0
        for v in x.dropFirst() {
            if (previous < 0) != (v < 0) { crossings += 1 }
            previous = v
        }
        return Double(crossings) / 2 / (Double(x.count) / Double(rate))
    }

    /// SNR of `decoded` against `reference` delayed by `lag` samples (the codec delay).
    static func snr(reference: [Int16], decoded: [Int16], lag: Int) -> Double {
        var signal = 0.0, noise = 0.0
        for i in 4800..<(min(reference.count, decoded.count - lag)) { // skip the encoder's start-up
            let r = Double(reference[i]), d = Double(decoded[i + lag])
            signal += r * r
            noise += (r - d) * (r - d)
        }
        return 10 * log10(signal / max(noise, 1))
    }

    @Test func oneKilohertzToneKeepsFrequencyAndSNR() throws {
        let encoder = try OpusEncoder(sampleRate: Self.rate, channels: 1, application: .audio)
        try encoder.setBitrate(64000)
        #expect(try encoder.bitrate == 64000)
        let decoder = try OpusDecoder(sampleRate: Self.rate, channels: 1)
        let input = Self.tone(frequency: 1000, seconds: 1)
        var output: [Int16] = []
        var bytes = 0
        for start in stride(from: 0, to: input.count, by: 960) { // 20 ms frames
            let packet = try encoder.encode(Array(input[start..<start + 960]))
            bytes += packet.count
            output += try decoder.decode(packet)
        }
        #expect(output.count == input.count)
        let measured = Self.dominantFrequency(output[4800...])
        #expect(abs(measured - 1000) < 10, "decoded tone at \(measured) Hz")
        let lookahead = try encoder.lookahead
        // The decoded tone lags the input by exactly the encoder's lookahead (the OpusHead pre-skip).
        let db = Self.snr(reference: input, decoded: output, lag: lookahead)
        print("Opus 1 kHz tone at 64 kbit/s: decoded at \(measured) Hz, SNR \(db) dB, \(bytes) bytes for 1 s")
        #expect(db > 20, "SNR \(db) dB at the lookahead delay of \(lookahead) samples")
        // 64 kbit/s for one second, give or take VBR.
        #expect(bytes > 4000 && bytes < 12000)
    }

    @Test func opusHeadDescribesTheStream() throws {
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 2)
        let head = try encoder.opusHead()
        #expect(head.count == 19)
        #expect(Array(head[0..<8]) == Array("OpusHead".utf8))
        #expect(head[9] == 2)
        #expect(Int(head[10]) | Int(head[11]) << 8 == (try encoder.lookahead))
    }

    @Test func lostPacketIsConcealedNotAnError() throws {
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 2)
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 2)
        _ = try decoder.decode(try encoder.encode([Int16](repeating: 0, count: 1920)))
        #expect(try decoder.decode(nil, maxFrameSize: 960).count == 1920)
    }

    @Test func invalidPacketIsAClearError() throws {
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 1)
        let error = #expect(throws: OpusError.self) { _ = try decoder.decode([0xFF, 0xFF, 0xFF]) }
        #expect(error?.description.contains("opus_decode") == true)
    }

    @Test func libsrtLinksOnce() {
        // The gnutls build, the same one libavformat links: two copies would crash here.
        #expect(SRTLibrary.version.hasPrefix("1."))
    }
}
