/// The ID3v2.4 tag an event travels in: one TXXX frame (UTF-8 description and value), the
/// frame hls.js turns into a metadata cue `{key: "TXXX", info: description, data: value}`.
/// Sizes are syncsafe (7 bits per byte), as v2.4 wants for the tag and each frame.
public enum ID3Tag {
    /// Bodies larger than this do not fit in 4 syncsafe bytes.
    public static let maxSize = (1 << 28) - 1

    public static func txxx(description: String, value: String) -> [UInt8] {
        let body: [UInt8] = [3] + Array(description.utf8) + [0] + Array(value.utf8)
        var frame: [UInt8] = Array("TXXX".utf8) + syncsafe(body.count) + [0, 0]
        frame += body
        return Array("ID3".utf8) + [4, 0, 0] + syncsafe(frame.count) + frame
    }

    /// The description and value of the tag's first TXXX frame.
    public static func parseTXXX(_ bytes: ArraySlice<UInt8>) throws(MP4BoxError) -> (description: String, value: String) {
        var r = MP4BoxReader(bytes)
        guard String(decoding: try r.bytes(3), as: UTF8.self) == "ID3" else { throw MP4BoxError("no ID3 header") }
        let version = try r.u8()
        _ = try r.u8()
        let flags = try r.u8()
        guard version == 4 || version == 3 else { throw MP4BoxError("ID3v2.\(version) is not read here") }
        guard flags & 0x40 == 0 else { throw MP4BoxError("ID3 extended header is not read here") }
        let tagSize = try readSyncsafe(&r)
        var tag = MP4BoxReader(try r.bytes(tagSize))
        while !tag.isEmpty {
            let id = try tag.fourCC()
            if id == "\0\0\0\0" { break } // padding
            let size = version == 4 ? try readSyncsafe(&tag) : Int(try tag.u32())
            _ = try tag.bytes(2)
            var body = MP4BoxReader(try tag.bytes(size))
            guard id == "TXXX" else { continue }
            let encoding = try body.u8()
            guard encoding == 3 || encoding == 0 else { throw MP4BoxError("TXXX text encoding \(encoding) is not read here") }
            let description = try body.cString()
            var value = body.rest
            if value.last == 0 { value = value.dropLast() }
            return (description, String(decoding: value, as: UTF8.self))
        }
        throw MP4BoxError("no TXXX frame")
    }

    static func syncsafe(_ n: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: (n >> 21) & 0x7f), UInt8(truncatingIfNeeded: (n >> 14) & 0x7f),
         UInt8(truncatingIfNeeded: (n >> 7) & 0x7f), UInt8(truncatingIfNeeded: n & 0x7f)]
    }

    static func readSyncsafe(_ r: inout MP4BoxReader) throws(MP4BoxError) -> Int {
        let b = try r.bytes(4)
        guard !b.contains(where: { $0 & 0x80 != 0 }) else { throw MP4BoxError("ID3 size not syncsafe") }
        return b.reduce(0) { $0 << 7 | Int($1) }
    }
}
