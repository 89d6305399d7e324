import Foundation

/// Recording ids (UTC start time `yyyyMMdd'T'HHmmss'Z'`) and the names allowed on disk and in
/// replay URLs: every component checked, so no request or stream path can leave the directory.
public enum RecordingID {
    public static func make(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    public static func date(_ id: String) -> Date? {
        guard isID(id) else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.date(from: id)
    }

    public static func isID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 16, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z") else { return false }
        return u.enumerated().allSatisfy { i, c in i == 8 || i == 15 || (c >= 48 && c <= 57) }
    }

    /// A safe path component: letters, digits, `-`, `_`, `.`, not starting with `.`, ≤ 128 bytes.
    public static func isSafeComponent<S: StringProtocol>(_ s: S) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 128, s.first != "." else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95 || c == 46
        }
    }

    /// A stream path whose every component is safe (`live/shop`), else nil.
    public static func safeStreamPath(_ path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.count <= 16, parts.allSatisfy(isSafeComponent) else { return nil }
        return parts
    }
}
