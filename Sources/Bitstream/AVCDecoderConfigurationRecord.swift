/// The avcC record (ISO/IEC 14496-15 §5.3.3.1): H.264 extradata for RTMP, fMP4 and the hub.
public struct AVCDecoderConfigurationRecord: Sendable, Equatable {
    public var profile: UInt8
    public var compatibility: UInt8
    public var level: UInt8
    public var lengthSize: Int
    public var sps: [[UInt8]]
    public var pps: [[UInt8]]

    public init(sps: [[UInt8]], pps: [[UInt8]], lengthSize: Int = 4) {
        let first = sps.first ?? []
        self.profile = first.count > 1 ? first[1] : 66
        self.compatibility = first.count > 2 ? first[2] : 0
        self.level = first.count > 3 ? first[3] : 30
        self.lengthSize = lengthSize
        self.sps = sps
        self.pps = pps
    }

    /// From an Annex B blob holding SPS and PPS (libx264's global-header extradata, or a
    /// keyframe's in-band parameter sets). Nil without at least one SPS and one PPS.
    public init?(annexB: some Collection<UInt8>) {
        let units = NALUnits.splitAnnexB(annexB)
        let sps = units.filter { NALUnits.h264Type($0) == 7 }.map(Array.init)
        let pps = units.filter { NALUnits.h264Type($0) == 8 }.map(Array.init)
        guard !sps.isEmpty, !pps.isEmpty else { return nil }
        self.init(sps: sps, pps: pps)
    }

    /// Parses an avcC record; nil if it is truncated or not version 1.
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        guard b.count >= 7, b[0] == 1 else { return nil }
        profile = b[1]
        compatibility = b[2]
        level = b[3]
        lengthSize = Int(b[4] & 0x03) + 1
        var i = 6
        func readSets(count: Int) -> [[UInt8]]? {
            var sets: [[UInt8]] = []
            for _ in 0..<count {
                guard i + 2 <= b.count else { return nil }
                let n = Int(b[i]) << 8 | Int(b[i + 1])
                i += 2
                guard i + n <= b.count else { return nil }
                sets.append(Array(b[i..<i + n]))
                i += n
            }
            return sets
        }
        guard let s = readSets(count: Int(b[5] & 0x1F)), i < b.count else { return nil }
        let ppsCount = Int(b[i])
        i += 1
        guard let p = readSets(count: ppsCount) else { return nil }
        sps = s
        pps = p
    }

    /// The record's fields have fixed widths (5 bits of SPS count, 8 of PPS count, 16 per set's
    /// length): sets from the wire that do not fit are left out, never trapped on. Encoders
    /// send one or two of each, tens of bytes long.
    public var bytes: [UInt8] {
        let s = sps.filter { $0.count <= 0xFFFF }.prefix(31)
        let p = pps.filter { $0.count <= 0xFFFF }.prefix(255)
        let size = UInt8(truncatingIfNeeded: min(max(lengthSize, 1), 4) - 1)
        var out: [UInt8] = [1, profile, compatibility, level, 0xFC | size, 0xE0 | UInt8(s.count)]
        for set in s { out += [UInt8(set.count >> 8), UInt8(set.count & 0xFF)] + set }
        out.append(UInt8(p.count))
        for set in p { out += [UInt8(set.count >> 8), UInt8(set.count & 0xFF)] + set }
        return out
    }

    /// RFC 6381 codec string for HLS CODECS, e.g. "avc1.64001f".
    public var codecString: String {
        func hex(_ v: UInt8) -> String { let s = String(v, radix: 16); return s.count == 1 ? "0" + s : s }
        return "avc1.\(hex(profile))\(hex(compatibility))\(hex(level))"
    }
}
