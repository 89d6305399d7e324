/// H.264/HEVC NAL unit framing: Annex B (start codes) and AVCC/HVCC (length prefixes).
public enum NALUnits {
    /// The NAL units of an Annex B byte stream, without start codes.
    public static func splitAnnexB(_ bytes: some Collection<UInt8>) -> [ArraySlice<UInt8>] {
        let b = Array(bytes)
        var units: [ArraySlice<UInt8>] = []
        var i = 0
        var start: Int? = nil
        while i + 2 < b.count {
            if b[i] == 0, b[i + 1] == 0, b[i + 2] == 1 {
                if let s = start { units.append(trimTrailingZeros(b[s..<i])) }
                i += 3
                start = i
            } else {
                i += 1
            }
        }
        if let s = start, s < b.count { units.append(trimTrailingZeros(b[s..<b.count])) }
        return units.filter { !$0.isEmpty }
    }

    private static func trimTrailingZeros(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = s.endIndex
        while end > s.startIndex, s[end - 1] == 0 { end -= 1 } // the first zero of a 4-byte start code
        return s[s.startIndex..<end]
    }

    /// The NAL units of a length-prefixed buffer; nil if a length runs past the end or the
    /// prefix size is not 1–4 bytes (0 would never advance).
    public static func splitLengthPrefixed(_ bytes: some Collection<UInt8>, lengthSize: Int = 4) -> [ArraySlice<UInt8>]? {
        guard (1...4).contains(lengthSize) else { return nil }
        let b = Array(bytes)
        var units: [ArraySlice<UInt8>] = []
        var i = 0
        while i < b.count {
            guard i + lengthSize <= b.count else { return nil }
            var n = 0
            for k in 0..<lengthSize { n = n << 8 | Int(b[i + k]) }
            i += lengthSize
            guard n <= b.count - i else { return nil }
            units.append(b[i..<i + n])
            i += n
        }
        return units
    }

    /// Annex B to 4-byte length prefixes (what RTMP, fMP4 and the hub carry).
    public static func annexBToLengthPrefixed(_ bytes: some Collection<UInt8>) -> [UInt8] {
        joinLengthPrefixed(splitAnnexB(bytes))
    }

    public static func joinLengthPrefixed(_ units: [ArraySlice<UInt8>]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(units.reduce(0) { $0 + $1.count + 4 })
        for u in units {
            let n = UInt32(u.count)
            out += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
            out += u
        }
        return out
    }

    /// Length prefixes to Annex B (what MPEG-TS and raw .h264 carry).
    public static func lengthPrefixedToAnnexB(_ bytes: some Collection<UInt8>, lengthSize: Int = 4) -> [UInt8]? {
        guard let units = splitLengthPrefixed(bytes, lengthSize: lengthSize) else { return nil }
        var out: [UInt8] = []
        for u in units { out += [0, 0, 0, 1]; out += u }
        return out
    }

    /// H.264 nal_unit_type (5 = IDR, 6 = SEI, 7 = SPS, 8 = PPS).
    public static func h264Type(_ unit: ArraySlice<UInt8>) -> UInt8? { unit.first.map { $0 & 0x1F } }

    /// HEVC nal_unit_type (32 VPS, 33 SPS, 34 PPS, 39/40 SEI, 16–21 IRAP).
    public static func hevcType(_ unit: ArraySlice<UInt8>) -> UInt8? { unit.first.map { ($0 >> 1) & 0x3F } }
}
