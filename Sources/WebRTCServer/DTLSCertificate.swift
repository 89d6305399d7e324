import CWebRTC

public enum DTLSError: Error, Sendable, Equatable, CustomStringConvertible {
    case certificate(code: Int32)
    case endpoint(code: Int32)
    case badFingerprint(String)

    public var description: String {
        switch self {
        case .certificate(let c): "DTLS: could not generate the certificate (error \(c))"
        case .endpoint(let c): "DTLS: could not create the endpoint (error \(c))"
        case .badFingerprint(let s): "DTLS: not a SHA-256 fingerprint: \(s.prefix(120))"
        }
    }
}

/// Our self-signed ECDSA P-256 certificate (30 days) and the DTLS 1.2 context made with it.
/// The C objects never change after `generate()`, and OpenSSL allows one SSL_CTX to make SSL
/// objects on many threads, so sharing it between event loops is safe.
public final class DTLSCertificate: @unchecked Sendable {
    let pointer: OpaquePointer
    /// SHA-256 of the DER certificate, as SDP's a=fingerprint writes it ("AB:CD:...").
    public let fingerprintSHA256: String
    public let fingerprintBytes: [UInt8]

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
        var fp = [UInt8](repeating: 0, count: 32)
        _ = cwebrtc_cert_fingerprint_sha256(pointer, &fp)
        fingerprintBytes = fp
        fingerprintSHA256 = DTLSCertificate.format(fingerprint: fp)
    }

    deinit { cwebrtc_cert_free(pointer) }

    public static func generate() throws -> DTLSCertificate {
        _ = cwebrtc_init()
        var p: OpaquePointer?
        let r = cwebrtc_cert_generate(&p)
        guard r == 0, let p else { throw DTLSError.certificate(code: r) }
        return DTLSCertificate(pointer: p)
    }

    /// "AB:CD:..." from 32 bytes.
    public static func format(fingerprint: [UInt8]) -> String {
        let hex: [Character] = Array("0123456789ABCDEF")
        return fingerprint.map { String([hex[Int($0 >> 4)], hex[Int($0 & 0xF)]]) }.joined(separator: ":")
    }

    /// 32 bytes from "AB:CD:..." (either case); nil if it is not a SHA-256 fingerprint.
    public static func parse(fingerprint: String) -> [UInt8]? {
        let parts = fingerprint.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 32 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for p in parts {
            guard p.utf8.count == 2, let b = UInt8(p, radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}
