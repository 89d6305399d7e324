/// H.264 profile-level-id (RFC 6184 section 8.1) reduced to what decides compatibility: the
/// profile, from profile_idc and the constraint flags (the same table libwebrtc negotiates
/// with: constrained baseline is 42 with constraint_set1, or 4D with set0, ...), and the level.
public struct H264ProfileLevelID: Sendable, Equatable {
    public enum Profile: Sendable, Equatable {
        case constrainedBaseline, baseline, main, constrainedHigh, high, predictiveHigh444
    }

    public var profile: Profile
    public var profileIDC: UInt8
    public var profileIOP: UInt8
    public var levelIDC: UInt8

    /// "42e01f" → constrained baseline, level 3.1; nil for anything that is not 6 hex digits of a known profile.
    public init?(_ text: String) {
        guard text.utf8.count == 6, let v = UInt32(text, radix: 16) else { return nil }
        let idc = UInt8(v >> 16), iop = UInt8(truncatingIfNeeded: v >> 8), level = UInt8(truncatingIfNeeded: v)
        func matches(_ pattern: String) -> Bool {
            for (i, c) in pattern.enumerated() {
                let bit = (iop >> UInt8(7 - i)) & 1
                if c == "1" && bit != 1 || c == "0" && bit != 0 { return false }
            }
            return true
        }
        let table: [(UInt8, String, Profile)] = [
            (0x42, "x1xx0000", .constrainedBaseline), (0x4D, "1xxx0000", .constrainedBaseline),
            (0x58, "11xx0000", .constrainedBaseline), (0x42, "x0xx0000", .baseline), (0x58, "10xx0000", .baseline),
            (0x4D, "0x0x0000", .main), (0x64, "00000000", .high), (0x64, "00001100", .constrainedHigh),
            (0xF4, "00000000", .predictiveHigh444),
        ]
        guard let row = table.first(where: { $0.0 == idc && matches($0.1) }) else { return nil }
        profile = row.2
        profileIDC = idc
        profileIOP = iop
        levelIDC = level
    }

    public var text: String {
        [profileIDC, profileIOP, levelIDC].map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}
