import CFFmpeg
import FFmpegBridge
import MediaCore
import Testing

/// Finding 4: MP2 audio (as MPEG-TS publishers send it) becomes AAC that HLS players can play.
@Suite struct AACTranscoderTests {
    @Test func mp2BecomesAACFramesOneFrameDurationApart() throws {
        let mp2 = try Encoder(audio: AudioEncoderSettings(codecName: "mp2", sampleRate: 48000, channels: 2, bitrate: 192_000))
        let transcoder = try AACTranscoder(codecName: "mp2", sampleRate: 48000, channels: 2, timebase: .mpegTS)
        #expect(transcoder.audioSpecificConfig.prefix(2) == [0x11, 0x90]) // AAC LC, 48 kHz, stereo
        var out: [(pts: Int64, data: [UInt8])] = []
        for i in 0..<50 { // 50 × 1152 samples: 1.2 s
            let frame = try Frame(samples: mp2.frameSize, format: mp2.sampleFormat, sampleRate: 48000, channels: 2)
            frame.pts = Int64(i * mp2.frameSize)
            for packet in try mp2.encode(frame) {
                out += try transcoder.transcode(packet.bytes, pts: 900_000 + Rational(1, 48000).rescale(packet.pts, to: .mpegTS))
            }
        }
        // 57,600 samples in, less the decoder's and encoder's delay: about 55 frames of 1024.
        #expect(out.count >= 50 && out.count <= 57, "\(out.count) AAC frames")
        #expect(out.allSatisfy { !$0.data.isEmpty })
        #expect(zip(out, out.dropFirst()).allSatisfy { $1.pts - $0.pts == 1920 }) // 1024 samples at 90 kHz
        // The first frame starts where the input did, less the codecs' delays (AAC priming is 1024 samples).
        #expect(abs(out[0].pts - 900_000) <= 2 * 1920, "first AAC frame at \(out[0].pts)")
    }

    @Test func unknownInputCodecIsAClearError() {
        let error = #expect(throws: FFmpegError.self) {
            _ = try AACTranscoder(codecName: "no-such-codec", sampleRate: 48000, channels: 2, timebase: .mpegTS)
        }
        #expect(error?.message.contains("no-such-codec") == true)
    }
}
