import CFFmpeg
import Foundation

/// Peak signal-to-noise ratio between two 8-bit planar YUV pictures of the same size, the way
/// ffmpeg's psnr filter reports "average": the squared error of all planes over all samples.
public enum PSNR {
    /// Sum of squared differences and sample count over Y, U and V.
    public static func squaredError(_ a: Frame, _ b: Frame) throws -> (sum: Double, samples: Int) {
        guard a.width == b.width, a.height == b.height, a.pixelFormat == b.pixelFormat,
              a.pixelFormat == AV_PIX_FMT_YUV420P || a.pixelFormat == AV_PIX_FMT_YUVJ420P else {
            throw FFmpegError("psnr", message: "pictures differ: \(a.width)x\(a.height) fmt \(a.pixelFormat.rawValue) vs \(b.width)x\(b.height) fmt \(b.pixelFormat.rawValue)")
        }
        var sum: UInt64 = 0
        var samples = 0
        for plane in 0..<3 {
            let w = plane == 0 ? a.width : (a.width + 1) / 2
            let h = plane == 0 ? a.height : (a.height + 1) / 2
            guard let pa = a.data(plane), let pb = b.data(plane) else { continue }
            let la = a.lineSize(plane), lb = b.lineSize(plane)
            for y in 0..<h {
                let ra = pa + y * la, rb = pb + y * lb
                var row: UInt64 = 0
                for x in 0..<w {
                    let d = Int32(ra[x]) - Int32(rb[x])
                    row &+= UInt64(d * d)
                }
                sum &+= row
            }
            samples += w * h
        }
        return (Double(sum), samples)
    }

    /// PSNR in dB from a mean squared error (capped at 100 dB for identical pictures).
    public static func decibels(meanSquaredError mse: Double) -> Double {
        mse <= 0 ? 100 : min(100, 10 * log10(255 * 255 / mse))
    }

    public static func decibels(_ a: Frame, _ b: Frame) throws -> Double {
        let e = try squaredError(a, b)
        return decibels(meanSquaredError: e.sum / Double(max(1, e.samples)))
    }
}
