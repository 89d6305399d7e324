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
    /// hvcC from ffmpeg 5.1 + libx265 (testsrc2 640x360): its 22-byte header and the SPS array only.
    static let hvcC640x360 = hex("0101600000009000000000003ff000fcfdf8f800000f" + "01" + "a10001" + "002a"
                                 + "42010101600000030090000003000003003fa00502016965959a4932bc05a020000003002000000303c1")
    /// The same for 642x362, coded as 648x368 with a conformance window.
    static let hvcC642x362 = hex("0101600000009000000000003ff000fcfdf8f800000f" + "01" + "a10001" + "002c"
                                 + "42010101600000030090000003000003003fa005120171c9265959a4932bc05a020000030002000003003c10")
    static let asc44100Mono = hex("120856e500")
}
