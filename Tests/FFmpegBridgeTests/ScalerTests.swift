import CFFmpeg
import FFmpegBridge
import Testing

@Suite struct ScalerTests {
    @Test(arguments: [(1280, 720, 640, 360), (1920, 1080, 854, 480), (640, 360, 1280, 720)])
    func outputHasRequestedSizeAndMatchesReference(_ size: (Int, Int, Int, Int)) throws {
        let (iw, ih, ow, oh) = size
        let source = try TestPictures.gradient(width: iw, height: ih)
        source.pts = 42
        let scaler = try Scaler(inputWidth: iw, inputHeight: ih, inputFormat: AV_PIX_FMT_YUV420P,
                                outputWidth: ow, outputHeight: oh, quality: .bilinear)
        let out = try scaler.scale(source)
        #expect(out.width == ow && out.height == oh)
        #expect(out.pixelFormat == AV_PIX_FMT_YUV420P)
        #expect(out.pts == 42)
        let reference = try TestPictures.gradient(width: ow, height: oh)
        let psnr = TestPictures.psnr(out, reference)
        #expect(psnr > 35, "\(iw)x\(ih) -> \(ow)x\(oh): \(psnr) dB")
    }

    @Test func rejectsZeroSizeWithAClearError() {
        #expect(throws: FFmpegError.self) {
            _ = try Scaler(inputWidth: 0, inputHeight: 720, inputFormat: AV_PIX_FMT_YUV420P, outputWidth: 640, outputHeight: 360)
        }
    }
}
