import CFFmpeg
import FFmpegBridge

/// A wall-clock time drawn into the picture as black and white blocks in the top-left corner,
/// so whatever shows the frame can read it back: a canvas in a browser
/// (Sources/Origin/Player/latency.js), a decoded frame in a test. SEI stamps stop at the
/// demuxer; this one reaches the screen.
///
/// Layout (Docs/Protocols.md, "Pixel clock"): a grid of 16 × 5 square cells, each 1/36 of the
/// picture height, from the corner. Row 0 is the start pattern (`startWord`, most significant
/// bit left), rows 1–3 the milliseconds since the Unix epoch (48 bits, most significant first),
/// row 4 a CRC-16/CCITT-FALSE of those 6 bytes. White is luma 235, black 16; chroma under the
/// code is neutral. Sized to the height, so every rung of a ladder keeps the same geometry;
/// at 360p a cell is 10 pixels, which survives 4:2:0, swscale and x264.
public enum PixelClock {
    public static let columns = 16
    public static let rows = 5
    /// Cells per picture height.
    public static let cellsPerHeight = 36.0
    public static let startWord: UInt16 = 0xB2CA
    static let white: UInt8 = 235
    static let black: UInt8 = 16
    /// Readers refuse a code whose start cells are closer than this in luma (no code drawn).
    static let minimumContrast = 48.0

    /// Width of one cell in pixels for a picture `height` tall.
    public static func cellSize(height: Int) -> Double { Double(height) / cellsPerHeight }

    /// The 80 cells, row by row: true is white.
    public static func bits(millis: UInt64) -> [Bool] {
        let value = millis & 0xFFFF_FFFF_FFFF
        var out: [Bool] = []
        out.reserveCapacity(columns * rows)
        for i in (0..<16).reversed() { out.append((startWord >> UInt16(i)) & 1 == 1) }
        for i in (0..<48).reversed() { out.append((value >> UInt64(i)) & 1 == 1) }
        let crc = crc16(value)
        for i in (0..<16).reversed() { out.append((crc >> UInt16(i)) & 1 == 1) }
        return out
    }

    /// The milliseconds `bits` carry, or nil when the start pattern or the CRC does not match.
    public static func value(bits: [Bool]) -> UInt64? {
        guard bits.count == columns * rows else { return nil }
        var start: UInt16 = 0
        for b in bits[0..<16] { start = start << 1 | (b ? 1 : 0) }
        guard start == startWord else { return nil }
        var value: UInt64 = 0
        for b in bits[16..<64] { value = value << 1 | (b ? 1 : 0) }
        var crc: UInt16 = 0
        for b in bits[64..<80] { crc = crc << 1 | (b ? 1 : 0) }
        return crc == crc16(value) ? value : nil
    }

    /// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of the value's 6 bytes, big-endian.
    public static func crc16(_ value: UInt64) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        for shift in stride(from: 40, through: 0, by: -8) {
            crc ^= (UInt16(truncatingIfNeeded: value >> UInt64(shift)) & 0xFF) << 8
            for _ in 0..<8 { crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }

    /// Cell `index` spans pixels `[edge(index), edge(index + 1))` along either axis.
    static func edge(_ index: Int, cell: Double) -> Int { Int((Double(index) * cell).rounded()) }

    /// Whether a `width`×`height` picture is big enough to carry the code (cells ≥ 2 pixels).
    public static func fits(width: Int, height: Int) -> Bool {
        let cell = cellSize(height: height)
        return cell >= 2 && edge(columns, cell: cell) <= width && edge(rows, cell: cell) <= height
    }

    /// Draws `millis` into an 8-bit 4:2:0 planar picture (yuv420p, yuvj420p). Pictures too
    /// small or in other formats are left alone (returns false).
    @discardableResult
    public static func draw(millis: UInt64, into frame: Frame) -> Bool {
        let format = frame.pixelFormat
        guard format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P,
              fits(width: frame.width, height: frame.height),
              let y = frame.data(0), let u = frame.data(1), let v = frame.data(2) else { return false }
        draw(millis: millis, luma: y, stride: frame.lineSize(0), width: frame.width, height: frame.height)
        let cell = cellSize(height: frame.height)
        // Neutral chroma under the code: grey blocks, whatever the picture had there.
        let width = (edge(columns, cell: cell) + 1) / 2, height = (edge(rows, cell: cell) + 1) / 2
        for (plane, stride) in [(u, frame.lineSize(1)), (v, frame.lineSize(2))] {
            for line in 0..<height { (plane + line * stride).update(repeating: 128, count: width) }
        }
        return true
    }

    /// Draws `millis` into a luma plane (nothing when the picture is too small).
    public static func draw(millis: UInt64, luma y: UnsafeMutablePointer<UInt8>, stride ys: Int, width: Int, height: Int) {
        guard fits(width: width, height: height) else { return }
        let cell = cellSize(height: height)
        let cells = bits(millis: millis)
        for row in 0..<rows {
            for column in 0..<columns {
                let level = cells[row * columns + column] ? white : black
                let x0 = edge(column, cell: cell), x1 = edge(column + 1, cell: cell)
                for line in edge(row, cell: cell)..<edge(row + 1, cell: cell) {
                    (y + line * ys + x0).update(repeating: level, count: x1 - x0)
                }
            }
        }
    }

    /// Reads the code from a luma plane: the mean of the middle half of every cell, split at
    /// the midpoint between the start pattern's white and black cells. nil when no code is there.
    public static func read(luma: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int) -> UInt64? {
        guard fits(width: width, height: height) else { return nil }
        let cell = cellSize(height: height)
        let radius = max(0.5, cell / 4)
        var means: [Double] = []
        means.reserveCapacity(columns * rows)
        for row in 0..<rows {
            let cy = (Double(row) + 0.5) * cell
            let y0 = max(0, Int((cy - radius).rounded(.down))), y1 = min(height - 1, Int((cy + radius).rounded(.up)) - 1)
            for column in 0..<columns {
                let cx = (Double(column) + 0.5) * cell
                let x0 = max(0, Int((cx - radius).rounded(.down))), x1 = min(width - 1, Int((cx + radius).rounded(.up)) - 1)
                var sum = 0, count = 0
                if y0 <= y1 && x0 <= x1 {
                    for line in y0...y1 {
                        let p = luma + line * stride
                        for x in x0...x1 { sum += Int(p[x]) }
                        count += x1 - x0 + 1
                    }
                }
                means.append(count > 0 ? Double(sum) / Double(count) : 0)
            }
        }
        return value(means: means)
    }

    /// The value from the 80 cell means (any luma scale): the threshold comes from the start row.
    public static func value(means: [Double]) -> UInt64? {
        guard means.count == columns * rows else { return nil }
        var whites = 0.0, blacks = 0.0, nw = 0.0, nb = 0.0
        for i in 0..<16 {
            if (startWord >> UInt16(15 - i)) & 1 == 1 { whites += means[i]; nw += 1 } else { blacks += means[i]; nb += 1 }
        }
        let (w, b) = (whites / nw, blacks / nb)
        guard w - b >= minimumContrast else { return nil }
        let threshold = (w + b) / 2
        return value(bits: means.map { $0 > threshold })
    }

    /// Reads the code from a decoded 8-bit picture (any planar YUV: the first plane is luma).
    public static func read(_ frame: Frame) -> UInt64? {
        guard let y = frame.data(0) else { return nil }
        return read(luma: y, stride: frame.lineSize(0), width: frame.width, height: frame.height)
    }
}
