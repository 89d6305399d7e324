import CFFmpeg
import FFmpegBridge
import MediaCore
import Testing

@Suite struct CodecRoundTripTests {
    static func x264(width: Int, height: Int, threads: Int = 2) -> VideoEncoderSettings {
        var s = VideoEncoderSettings(width: width, height: height, timebase: Rational(1, 30), frameRate: Rational(30, 1),
                                     bitrate: 0, gopSize: 30, options: ["preset": "veryfast", "crf": "18", "tune": "zerolatency"])
        s.threads = threads
        return s
    }

    @Test func x264EncodesAndDecodes720pAbove35dB() throws {
        let encoder = try Encoder(video: Self.x264(width: 1280, height: 720))
        #expect(encoder.codecName == "libx264")
        let originals = try (0..<60).map { try TestPictures.moving(width: 1280, height: 720, index: $0) }
        var packets: [Packet] = []
        for f in originals { packets += try encoder.encode(f) }
        packets += try encoder.encode(nil)
        #expect(packets.count == 60)
        #expect(packets.first?.isKeyframe == true)

        let decoder = try Decoder(codecName: "h264", extradata: encoder.extradata)
        var decoded: [Frame] = []
        for p in packets { decoded += try decoder.decode(p) }
        decoded += try decoder.decode(nil)
        #expect(decoded.count == 60)
        var worst = Double.infinity
        for (i, frame) in decoded.enumerated() {
            #expect(frame.width == 1280 && frame.height == 720)
            #expect(frame.pts == Int64(i))
            let psnr = TestPictures.psnr(frame, originals[i])
            worst = min(worst, psnr)
            #expect(psnr > 35, "frame \(i): \(psnr) dB")
        }
        print("x264 720p round trip: worst frame \(worst) dB over 60 frames, \(packets.reduce(0) { $0 + $1.size }) bytes")
    }

    @Test func aacEncoderReportsFrameSizeAndExtradata() throws {
        let encoder = try Encoder(audio: AudioEncoderSettings(sampleRate: 48000, channels: 2, bitrate: 128_000))
        #expect(encoder.frameSize == 1024)
        #expect(encoder.extradata.count >= 2) // AudioSpecificConfig
        let frame = try Frame(samples: 1024, format: encoder.sampleFormat, sampleRate: 48000, channels: 2)
        var packets: [Packet] = []
        for i in 0..<10 {
            frame.pts = Int64(i * 1024)
            packets += try encoder.encode(frame)
        }
        packets += try encoder.encode(nil)
        #expect(packets.count >= 10)
    }

    @Test func sendAfterFlushReportsEndedNotAnError() throws {
        let encoder = try Encoder(video: Self.x264(width: 64, height: 64, threads: 1))
        _ = try encoder.encode(nil)
        #expect(try encoder.send(try TestPictures.moving(width: 64, height: 64, index: 0)) == .ended)
        guard case .endOfStream = try encoder.receive() else {
            Issue.record("expected end of stream after flush")
            return
        }
    }
}
