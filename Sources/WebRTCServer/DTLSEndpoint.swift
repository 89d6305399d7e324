import CWebRTC

/// The SRTP profile and keys a DTLS handshake produced (RFC 5764 §4.2), from one side's view.
public struct SRTPKeyMaterial: Sendable, Equatable {
    public enum Profile: Int32, Sendable { case aes128CmSha1_80 = 1, aeadAes128Gcm = 7 }
    public var profile: Profile
    /// key || salt we protect with.
    public var localKeySalt: [UInt8]
    /// key || salt the peer protects with.
    public var remoteKeySalt: [UInt8]

    public init(profile: Profile, localKeySalt: [UInt8], remoteKeySalt: [UInt8]) {
        self.profile = profile
        self.localKeySalt = localKeySalt
        self.remoteKeySalt = remoteKeySalt
    }
}

/// One DTLS 1.2 association over memory BIOs: datagrams in (`receive`), datagrams out
/// (`takeDatagrams`), timers by `nextTimeout`/`handleTimeout`. Not Sendable: its owner (the
/// transport's event loop, or a test) uses it from one thread and frees it by dropping it.
public final class DTLSEndpoint {
    public enum Role: Sendable { case server, client }
    public enum State: Sendable, Equatable {
        case handshaking, connected
        case failed(String)
        case closed
    }

    private let pointer: OpaquePointer
    private let certificate: DTLSCertificate  // keeps the SSL_CTX's owner alive
    public let role: Role
    private let mtu: Int

    /// `remoteFingerprint`: the SHA-256 from the peer's SDP; the handshake fails if the peer's
    /// certificate does not have it.
    public init(certificate: DTLSCertificate, role: Role, remoteFingerprint: [UInt8], mtu: Int = 1200) throws {
        guard remoteFingerprint.count == 32 else {
            throw DTLSError.badFingerprint(DTLSCertificate.format(fingerprint: remoteFingerprint))
        }
        var p: OpaquePointer?
        let r = cwebrtc_dtls_new(certificate.pointer, role == .server ? 1 : 0, remoteFingerprint, 32,
                                 UInt32(clamping: mtu), &p)
        guard r == 0, let p else { throw DTLSError.endpoint(code: r) }
        pointer = p
        self.certificate = certificate
        self.role = role
        self.mtu = mtu
    }

    deinit { cwebrtc_dtls_free(pointer) }

    public var state: State { Self.state(cwebrtc_dtls_state(pointer), pointer) }

    /// Client role: queues the ClientHello. Server: nothing to do until the peer speaks.
    @discardableResult
    public func start() -> State { Self.state(cwebrtc_dtls_start(pointer), pointer) }

    /// Feeds one received DTLS datagram.
    @discardableResult
    public func receive(_ datagram: [UInt8]) -> State {
        let r = datagram.withUnsafeBufferPointer { cwebrtc_dtls_feed(pointer, $0.baseAddress, $0.count) }
        return Self.state(r, pointer)
    }

    /// Every datagram waiting to be sent (the handshake's flights, alerts).
    public func takeDatagrams() -> [[UInt8]] {
        var out: [[UInt8]] = []
        // Handshake records fit the MTU; 18.5 KB covers DTLS's largest record (2^14 + 2048 + header) too.
        var buf = [UInt8](repeating: 0, count: max(mtu, 18_500))
        for _ in 0..<64 {
            let n = buf.withUnsafeMutableBufferPointer { cwebrtc_dtls_next_datagram(pointer, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            out.append(Array(buf[0..<Int(n)]))
        }
        return out
    }

    /// Time until a retransmission is due; nil when no timer runs.
    public var nextTimeout: Duration? {
        let ms = cwebrtc_dtls_timeout_ms(pointer)
        return ms < 0 ? nil : .milliseconds(ms)
    }

    /// Retransmits the last flight if its timer expired (then `takeDatagrams`).
    @discardableResult
    public func handleTimeout() -> State { Self.state(cwebrtc_dtls_handle_timeout(pointer), pointer) }

    /// Queues close_notify (then `takeDatagrams`).
    public func shutdown() { cwebrtc_dtls_shutdown(pointer) }

    /// After the handshake: the negotiated profile and both sides' keys.
    public func srtpKeys() -> SRTPKeyMaterial? {
        var profile: Int32 = 0
        var local = [UInt8](repeating: 0, count: 64), remote = [UInt8](repeating: 0, count: 64)
        var len = 0
        guard cwebrtc_dtls_srtp_keys(pointer, &profile, &local, &remote, &len) == 0,
              let p = SRTPKeyMaterial.Profile(rawValue: profile), len > 0, len <= 64 else { return nil }
        return SRTPKeyMaterial(profile: p, localKeySalt: Array(local[0..<len]), remoteKeySalt: Array(remote[0..<len]))
    }

    private static func state(_ code: Int32, _ p: OpaquePointer) -> State {
        switch code {
        case Int32(CWEBRTC_DTLS_HANDSHAKING): return .handshaking
        case Int32(CWEBRTC_DTLS_CONNECTED): return .connected
        case Int32(CWEBRTC_DTLS_CLOSED): return .closed
        default:
            let message = cwebrtc_dtls_error(p).map { String(cString: $0) } ?? ""
            return .failed(message.isEmpty ? "DTLS error \(code)" : message)
        }
    }
}

@available(*, unavailable) extension DTLSEndpoint: Sendable {}
