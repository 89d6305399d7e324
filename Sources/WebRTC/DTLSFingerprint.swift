/// A DTLS certificate fingerprint from `a=fingerprint:`.
public struct DTLSFingerprint: Sendable, Equatable, CustomStringConvertible {
    public var algorithm: String   // "sha-256"
    public var bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// "sha-256 AB:CD:..." → fingerprint; nil unless every byte is two hex digits.
    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ")
        guard parts.count == 2, parts[1].count <= 64 * 3 else { return nil }
        var bytes: [UInt8] = []
        for h in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard h.count == 2, let b = UInt8(h, radix: 16) else { return nil }
            bytes.append(b)
        }
        self.init(algorithm: parts[0].lowercased(), bytes: bytes)
    }

    /// "AB:CD:..." (upper-case hex, colon separated).
    public var hex: String {
        bytes.map { b in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: ":")
    }

    public var description: String { "\(algorithm) \(hex)" }
}
