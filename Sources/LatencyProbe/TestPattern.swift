import CFFmpeg
import FFmpegBridge

/// A cheap moving picture (row gradient that scrolls, a sliding bright bar): enough motion
/// for a real encoder, drawn with row fills so a 1080p frame costs microseconds.
public enum TestPattern {
    public static func frame(width: Int, height: Int, index: Int) throws -> Frame {
        let frame = try Frame(width: width, height: height, format: AV_PIX_FMT_YUV420P)
        let y = frame.data(0)!, ys = frame.lineSize(0)
        let bar = (index * 8) % max(1, width - 64)
        for row in 0..<height {
            let line = y + row * ys
            line.update(repeating: UInt8(16 + (row + index * 2) % 200), count: width)
            (line + bar).update(repeating: 235, count: min(64, width - bar))
        }
        for plane in 1...2 {
            let p = frame.data(plane)!, s = frame.lineSize(plane)
            for row in 0..<(height / 2) {
                (p + row * s).update(repeating: UInt8(plane == 1 ? 90 + row % 60 : 160 - row % 50), count: width / 2)
            }
        }
        return frame
    }
}
