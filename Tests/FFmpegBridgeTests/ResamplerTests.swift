import CFFmpeg
import FFmpegBridge
import Testing

@Suite struct ResamplerTests {
    @Test func converts44100StereoS16To48000FloatPlanar() throws {
        let resampler = try Resampler(inputRate: 44100, inputChannels: 2, inputFormat: AV_SAMPLE_FMT_S16,
                                      outputRate: 48000, outputChannels: 2, outputFormat: AV_SAMPLE_FMT_FLTP)
        let input = try Frame(samples: 4410, format: AV_SAMPLE_FMT_S16, sampleRate: 44100, channels: 2)
        let samples = input.data(0)!.withMemoryRebound(to: Int16.self, capacity: 4410 * 2) { $0 }
        for i in 0..<4410 {
            let v = Int16(10000 * sin(2 * Double.pi * 1000 * Double(i) / 44100))
            samples[2 * i] = v
            samples[2 * i + 1] = v
        }
        var total = 0
        for _ in 0..<10 { total += try resampler.convert(input).sampleCount }
        total += try resampler.convert(nil).sampleCount
        // One second in, one second out (within the filter's edge).
        #expect(abs(total - 48000) <= 64)
        let fifo = try AudioFifo(format: AV_SAMPLE_FMT_FLTP, channels: 2, sampleRate: 48000)
        try fifo.write(try resampler.convert(input))
        #expect(try fifo.read(1024)?.sampleCount == 1024)
        #expect(try fifo.read(100_000) == nil)
    }
}
