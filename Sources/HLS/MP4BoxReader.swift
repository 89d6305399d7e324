/// Bounded big-endian reads over ISO BMFF (and ID3) bytes: every read checks what is left,
/// so a short or lying box throws instead of trapping.
public struct MP4BoxReader {
    public private(set) var rest: ArraySlice<UInt8>

    public init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

    public var isEmpty: Bool { rest.isEmpty }

    public mutating func bytes(_ n: Int) throws(MP4BoxError) -> ArraySlice<UInt8> {
        guard n >= 0, rest.count >= n else { throw MP4BoxError("needed \(n) bytes, \(rest.count) left") }
        let out = rest.prefix(n)
        rest = rest.dropFirst(n)
        return out
    }

    public mutating func u8() throws(MP4BoxError) -> UInt8 { try bytes(1).first! }

    public mutating func u32() throws(MP4BoxError) -> UInt32 {
        try bytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func fourCC() throws(MP4BoxError) -> String {
        String(decoding: try bytes(4), as: UTF8.self)
    }

    /// A NUL-terminated UTF-8 string (the NUL is consumed).
    public mutating func cString() throws(MP4BoxError) -> String {
        guard let end = rest.firstIndex(of: 0) else { throw MP4BoxError("string without its NUL") }
        let s = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
        rest = rest[(end + 1)...]
        return s
    }

    /// The top-level boxes of `bytes`: type and the whole box (header included).
    public static func boxes(_ bytes: ArraySlice<UInt8>) throws(MP4BoxError) -> [(type: String, box: ArraySlice<UInt8>)] {
        var out: [(String, ArraySlice<UInt8>)] = []
        var r = MP4BoxReader(bytes)
        while !r.isEmpty {
            let start = r.rest.startIndex
            var size = UInt64(try r.u32())
            let type = try r.fourCC()
            var header = 8
            if size == 1 {
                size = UInt64(try r.u32()) << 32 | UInt64(try r.u32())
                header = 16
            } else if size == 0 {
                size = UInt64(bytes.endIndex - start)
            }
            guard size >= UInt64(header), size <= UInt64(bytes.endIndex - start) else {
                throw MP4BoxError("box \(type) of \(size) bytes, \(bytes.endIndex - start) left")
            }
            let box = bytes[start..<(start + Int(size))]
            _ = try r.bytes(Int(size) - header)
            out.append((type, box))
        }
        return out
    }

    /// The children of a container box (header skipped; `fullBox` skips version and flags too).
    public static func children(_ box: ArraySlice<UInt8>, fullBox: Bool = false) throws(MP4BoxError) -> [(type: String, box: ArraySlice<UInt8>)] {
        let skip = 8 + (fullBox ? 4 : 0)
        guard box.count >= skip else { throw MP4BoxError("box shorter than its header") }
        return try boxes(box.dropFirst(skip))
    }

    /// The timescale (`mdhd`) of the first video track (`hdlr` vide) of an init segment.
    public static func videoTimescale(initSegment: ArraySlice<UInt8>) throws(MP4BoxError) -> UInt32? {
        guard let moov = try boxes(initSegment).first(where: { $0.type == "moov" }) else { return nil }
        for trak in try children(moov.box) where trak.type == "trak" {
            guard let mdia = try children(trak.box).first(where: { $0.type == "mdia" }) else { continue }
            let parts = try children(mdia.box)
            guard let hdlr = parts.first(where: { $0.type == "hdlr" }), let mdhd = parts.first(where: { $0.type == "mdhd" }) else { continue }
            var h = MP4BoxReader(hdlr.box.dropFirst(8))
            _ = try h.bytes(8) // version, flags, pre_defined
            guard try h.fourCC() == "vide" else { continue }
            var m = MP4BoxReader(mdhd.box.dropFirst(8))
            let version = try m.u8()
            _ = try m.bytes(3 + (version == 1 ? 16 : 8)) // flags, creation and modification times
            return try m.u32()
        }
        return nil
    }
}

extension MP4BoxReader {
    /// The first video track of an init segment: its `tkhd` track_ID and `mdhd` timescale.
    public static func videoTrack(initSegment: ArraySlice<UInt8>) throws(MP4BoxError) -> (id: UInt32, timescale: UInt32)? {
        guard let moov = try boxes(initSegment).first(where: { $0.type == "moov" }) else { return nil }
        for trak in try children(moov.box) where trak.type == "trak" {
            let inner = try children(trak.box)
            guard let tkhd = inner.first(where: { $0.type == "tkhd" }),
                  let mdia = inner.first(where: { $0.type == "mdia" }) else { continue }
            let parts = try children(mdia.box)
            guard let hdlr = parts.first(where: { $0.type == "hdlr" }), let mdhd = parts.first(where: { $0.type == "mdhd" }) else { continue }
            var h = MP4BoxReader(hdlr.box.dropFirst(8))
            _ = try h.bytes(8)
            guard try h.fourCC() == "vide" else { continue }
            var t = MP4BoxReader(tkhd.box.dropFirst(8))
            let tv = try t.u8()
            _ = try t.bytes(3 + (tv == 1 ? 16 : 8))
            let id = try t.u32()
            var m = MP4BoxReader(mdhd.box.dropFirst(8))
            let mv = try m.u8()
            _ = try m.bytes(3 + (mv == 1 ? 16 : 8))
            return (id, try m.u32())
        }
        return nil
    }

    /// `tfdt` of track `trackID` in the first `moof` of a fragment (a CMAF part).
    public static func baseMediaDecodeTime(fragment: ArraySlice<UInt8>, trackID: UInt32) throws(MP4BoxError) -> UInt64? {
        guard let moof = try boxes(fragment).first(where: { $0.type == "moof" }) else { return nil }
        for traf in try children(moof.box) where traf.type == "traf" {
            let inner = try children(traf.box)
            guard let tfhd = inner.first(where: { $0.type == "tfhd" }), let tfdt = inner.first(where: { $0.type == "tfdt" }) else { continue }
            var h = MP4BoxReader(tfhd.box.dropFirst(12))
            guard try h.u32() == trackID else { continue }
            var d = MP4BoxReader(tfdt.box.dropFirst(8))
            let version = try d.u8()
            _ = try d.bytes(3)
            return version == 1 ? UInt64(try d.u32()) << 32 | UInt64(try d.u32()) : UInt64(try d.u32())
        }
        return nil
    }
}
