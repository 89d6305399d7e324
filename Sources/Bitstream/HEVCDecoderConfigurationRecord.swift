/// The hvcC record (ISO/IEC 14496-15 §8.3.3.1): HEVC extradata for fMP4, enhanced RTMP and
/// the hub. Built from VPS/SPS/PPS; profile, tier and level are copied from the SPS.
public struct HEVCDecoderConfigurationRecord: Sendable, Equatable {
    public var vps: [[UInt8]]
    public var sps: [[UInt8]]
    public var pps: [[UInt8]]
    public var lengthSize: Int

    public init(vps: [[UInt8]], sps: [[UInt8]], pps: [[UInt8]], lengthSize: Int = 4) {
        self.vps = vps
        self.sps = sps
        self.pps = pps
        self.lengthSize = lengthSize
    }

    /// From an Annex B blob with VPS, SPS and PPS (libx265's global-header extradata).
    public init?(annexB: some Collection<UInt8>) {
        let units = NALUnits.splitAnnexB(annexB)
        func of(_ type: UInt8) -> [[UInt8]] { units.filter { NALUnits.hevcType($0) == type }.map(Array.init) }
        let (v, s, p) = (of(32), of(33), of(34))
        guard !v.isEmpty, !s.isEmpty, !p.isEmpty else { return nil }
        self.init(vps: v, sps: s, pps: p)
    }

    /// Parses an hvcC record; nil if it is truncated or not version 1.
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        guard b.count >= 23, b[0] == 1 else { return nil }
        lengthSize = Int(b[21] & 0x03) + 1
        var i = 23
        var arrays: [UInt8: [[UInt8]]] = [:]
        for _ in 0..<Int(b[22]) {
            guard i + 3 <= b.count else { return nil }
            let type = b[i] & 0x3F
            let count = Int(b[i + 1]) << 8 | Int(b[i + 2])
            i += 3
            for _ in 0..<count {
                guard i + 2 <= b.count else { return nil }
                let n = Int(b[i]) << 8 | Int(b[i + 1])
                i += 2
                guard i + n <= b.count else { return nil }
                arrays[type, default: []].append(Array(b[i..<i + n]))
                i += n
            }
        }
        vps = arrays[32] ?? []
        sps = arrays[33] ?? []
        pps = arrays[34] ?? []
    }

    /// general_profile_space … general_level_idc (12 bytes) from the first SPS, after its
    /// 2-byte NAL header and the byte holding vps id / max sub-layers / nesting flag.
    private var profileTierLevel: [UInt8] {
        guard let first = sps.first else { return Array(repeating: 0, count: 12) }
        let rbsp = EmulationPrevention.remove(first.dropFirst(2))
        guard rbsp.count >= 13 else { return Array(repeating: 0, count: 12) }
        return Array(rbsp[1..<13])
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = [1]
        out += profileTierLevel // profile space/tier/idc, 4 compat bytes, 6 constraint bytes, level
        out += [0xF0, 0x00] // min_spatial_segmentation_idc 0
        out += [0xFC] // parallelismType 0
        out += [0xFD] // chroma_format_idc 1 (4:2:0)
        out += [0xF8, 0xF8] // bit depth 8 / 8
        out += [0x00, 0x00] // avgFrameRate unknown
        out += [0x0C | UInt8(truncatingIfNeeded: min(max(lengthSize, 1), 4) - 1)] // 1 temporal layer, temporalIdNested 1
        let arrays: [(UInt8, [[UInt8]])] = [(32, vps), (33, sps), (34, pps)]
        out.append(UInt8(arrays.count))
        for (type, all) in arrays {
            // 16-bit counts and lengths: what does not fit (only a hostile stream) is left out.
            let units = all.filter { $0.count <= 0xFFFF }.prefix(0xFFFF)
            out.append(0x80 | type) // array_completeness 1
            out += [UInt8(units.count >> 8), UInt8(units.count & 0xFF)]
            for u in units { out += [UInt8(u.count >> 8), UInt8(u.count & 0xFF)] + u }
        }
        return out
    }
}
