import FFmpegBridge
import MediaCore
import NIOCore
import Testing

/// The in-memory libavformat muxer (custom AVIO): what it writes and when.
@Suite struct MuxerTests {
    /// A syntactically valid avcC (High profile, level 3.1) with placeholder SPS/PPS bytes.
    static let avcC: [UInt8] = [1, 0x64, 0x00, 0x1F, 0xFF, 0xE1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1F, 0x01, 0x00, 0x02, 0x68, 0xEE]
    static let video = TrackInfo(codec: .h264, timebase: Rational(1, 1000), extradata: ByteBuffer(bytes: avcC),
                                 width: 320, height: 240, frameRate: Rational(30, 1))

    static func box(_ buffer: ByteBuffer) -> String? {
        guard buffer.readableBytes >= 8 else { return nil }
        return buffer.getString(at: buffer.readerIndex + 4, length: 4)
    }

    static func sample(_ i: Int) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(UInt32(3))
        b.writeBytes([i == 0 ? 0x65 : 0x41, 0x88, UInt8(i)])
        return b
    }

    @Test func fragmentedMP4WritesTheInitAtOnceAndAFragmentPerFlush() throws {
        let muxer = try Muxer(format: "mp4", tracks: [Self.video],
                              options: ["movflags": "frag_custom+empty_moov+default_base_moof"])
        let header = muxer.takeOutput()
        #expect(Self.box(header) == "ftyp")
        #expect(String(buffer: header).contains("moov"))
        for i in 0..<3 {
            try muxer.write(track: 0, pts: Int64(i * 33), dts: Int64(i * 33), duration: 33, isKeyframe: i == 0, data: Self.sample(i))
        }
        #expect(muxer.takeOutput().readableBytes == 0) // held until the fragment is cut
        try muxer.flush()
        let fragment = muxer.takeOutput()
        #expect(Self.box(fragment) == "moof")
        #expect(String(decoding: fragment.readableBytesView, as: UTF8.self).contains("mdat"))
        try muxer.flush()
        #expect(muxer.takeOutput().readableBytes == 0) // nothing new: no empty fragment
        try muxer.finish()
    }

    @Test func mpegTSStartsWithSyncBytes() throws {
        let muxer = try Muxer(format: "mpegts", tracks: [Self.video])
        var out = muxer.takeOutput()
        try muxer.write(track: 0, pts: 0, dts: 0, duration: 33, isKeyframe: true, data: Self.sample(0))
        try muxer.flush()
        try muxer.finish()
        var rest = muxer.takeOutput()
        out.writeBuffer(&rest)
        #expect(out.readableBytes > 0)
        #expect(out.readableBytes % 188 == 0)
        #expect(out.getInteger(at: out.readerIndex, as: UInt8.self) == 0x47)
    }

    @Test func unknownFormatThrows() {
        #expect(throws: FFmpegError.self) { try Muxer(format: "no-such-format", tracks: [Self.video]) }
    }
}
