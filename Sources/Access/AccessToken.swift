import Crypto
import Foundation

/// HMAC-SHA256 tokens bound to an action, a stream path and an expiry:
/// `token = hex(HMAC(secret, action + "\n" + path + "\n" + exp))` with `exp` in Unix seconds.
/// Publish tokens use `publish`, personal play tokens `play`, the shared play token of HLS
/// follow-up URLs `play-shared` (carried as `st=<exp>-<hex>`).
public enum AccessToken {
    public enum Verdict: Sendable, Equatable {
        case valid
        case expired
        /// Malformed, or signed with another secret, path or expiry.
        case bad
    }

    /// Longest lifetime a minted token may ask for (ten years); keeps `now + ttl` in range.
    public static let maxTTL = 10 * 365 * 86_400

    public static func now() -> Int { Int(Date().timeIntervalSince1970) }

    public static func sign(secret: String, action: String, path: String, expires: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(action)\n\(path)\n\(expires)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return hex(Array(mac))
    }

    /// The query a client appends: `exp=<unix>&token=<hex>`.
    public static func query(secret: String, action: AccessAction, path: String, ttl: Int, now: Int = now()) -> String {
        let exp = now + min(max(ttl, 0), maxTTL)
        return "exp=\(exp)&token=\(sign(secret: secret, action: action.rawValue, path: path, expires: exp))"
    }

    /// Checks `token` for `exp` in constant time (the MAC first, so a forged token never learns
    /// whether its expiry would have passed).
    public static func verify(secret: String, action: String, path: String, expires: String, token: String, now: Int = now()) -> Verdict {
        guard let exp = Int(expires), exp >= 0, let mac = unhex(token), mac.count == SHA256.byteCount else { return .bad }
        let valid = HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data("\(action)\n\(path)\n\(exp)".utf8),
                                                           using: SymmetricKey(data: Data(secret.utf8)))
        guard valid else { return .bad }
        return exp >= now ? .valid : .expired
    }

    /// The shared expiry: `now + ttl` rounded up to a whole `window`, so everyone who asks within
    /// one window gets the same value (and the same URLs, which a CDN caches once).
    public static func sharedExpiry(now: Int, ttl: Int, window: Int) -> Int {
        let w = min(max(window, 1), maxTTL)
        let t = now + min(max(ttl, 1), maxTTL)
        return (t + w - 1) / w * w
    }

    /// `<exp>-<hex>` for the `st=` parameter.
    public static func sharedToken(secret: String, path: String, now: Int = now(), ttl: Int, window: Int) -> String {
        let exp = sharedExpiry(now: now, ttl: ttl, window: window)
        return "\(exp)-\(sign(secret: secret, action: "play-shared", path: path, expires: exp))"
    }

    public static func verifyShared(secret: String, path: String, value: String, now: Int = now()) -> Verdict {
        let parts = value.split(separator: "-", maxSplits: 1)
        guard parts.count == 2 else { return .bad }
        return verify(secret: secret, action: "play-shared", path: path, expires: String(parts[0]), token: String(parts[1]), now: now)
    }

    /// Constant-time equality of two secrets (a static key against the configured ones).
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    /// SHA-256 of `text`, hex: what the hub keeps of a publisher's credential.
    public static func digest(_ text: String) -> String {
        hex(Array(SHA256.hash(data: Data(text.utf8))))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0, chars.count <= 256 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
