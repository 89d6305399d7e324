import NIOCore

/// Byte helpers shared by the RTMP tests.
enum TestBytes {
    static func hex(_ s: String) -> ByteBuffer {
        var bytes: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            bytes.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return ByteBuffer(bytes: bytes)
    }

    static func pattern(_ n: Int, seed: UInt8 = 0) -> ByteBuffer {
        ByteBuffer(bytes: (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) })
    }

    /// avcC and ASC from ffmpeg 5.1 + libx264 (testsrc2 640x360, High profile) and its AAC encoder.
    static let avcC640x360 = hex("0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000668ebe3cb22c0fdf8f800")
    static let avcC1920x1080 = hex("01640028ffe1001b67640028acd940780227e5c044000003000400000300f03c60c65801000668ebe3cb22c0fdf8f800")
    static let asc44100Mono = hex("120856e500")
}
