import CFFmpeg
import FFmpegBridge

/// Synthetic pictures made inside the tests: no binary fixtures.
enum TestPictures {
    /// A 4:2:0 picture: smooth gradients plus a bright box that moves with `index`.
    static func moving(width: Int, height: Int, index: Int) throws -> Frame {
        let frame = try Frame(width: width, height: height, format: AV_PIX_FMT_YUV420P)
        let y = frame.data(0)!, ys = frame.lineSize(0)
        let boxX = (index * 8) % max(1, width - 64), boxY = (index * 4) % max(1, height - 64)
        for row in 0..<height {
            for col in 0..<width {
                var v = 16 + (col * 200 / width + row * 20 / height)
                if col >= boxX, col < boxX + 64, row >= boxY, row < boxY + 64 { v = 220 }
                y[row * ys + col] = UInt8(v)
            }
        }
        for plane in 1...2 {
            let p = frame.data(plane)!, s = frame.lineSize(plane)
            for row in 0..<height / 2 {
                for col in 0..<width / 2 {
                    p[row * s + col] = UInt8(plane == 1 ? 100 + col * 50 / (width / 2) : 150 - row * 40 / (height / 2))
                }
            }
        }
        frame.pts = Int64(index)
        return frame
    }

    /// Luma-only gradient whose value at (x, y) is a smooth function of the normalised position,
    /// so the same picture can be drawn at any size as a scaling reference.
    static func gradient(width: Int, height: Int) throws -> Frame {
        let frame = try Frame(width: width, height: height, format: AV_PIX_FMT_YUV420P)
        for plane in 0...2 {
            let w = plane == 0 ? width : width / 2, h = plane == 0 ? height : height / 2
            let p = frame.data(plane)!, s = frame.lineSize(plane)
            for row in 0..<h {
                for col in 0..<w {
                    let fx = (Double(col) + 0.5) / Double(w), fy = (Double(row) + 0.5) / Double(h)
                    p[row * s + col] = UInt8(plane == 0 ? 30 + 180 * (0.6 * fx + 0.4 * fy) : 128 + 40 * (fx - fy))
                }
            }
        }
        return frame
    }

    /// PSNR over the three planes of two YUV420P pictures of the same size.
    static func psnr(_ a: Frame, _ b: Frame) -> Double {
        precondition(a.width == b.width && a.height == b.height)
        var sum = 0.0, count = 0.0
        for plane in 0...2 {
            let w = plane == 0 ? a.width : a.width / 2, h = plane == 0 ? a.height : a.height / 2
            let pa = a.data(plane)!, pb = b.data(plane)!, sa = a.lineSize(plane), sb = b.lineSize(plane)
            for row in 0..<h {
                for col in 0..<w {
                    let d = Double(pa[row * sa + col]) - Double(pb[row * sb + col])
                    sum += d * d
                }
            }
            count += Double(w * h)
        }
        let mse = sum / count
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }
}
