import NIOCore

/// A peer's ICE, DTLS and SRTP state; only the transport's event loop touches it.
final class PeerConnectionState {
    let pc: PeerConnection
    let remoteFingerprint: [UInt8]
    /// Where we send: the latest nominated (USE-CANDIDATE) address; before any nomination, the
    /// validated address the peer last sent DTLS from (or the first one validated).
    var address: SocketAddress?
    var nominated = false
    /// Addresses that passed a Binding request (oldest first, at most `maxValidatedAddresses`):
    /// DTLS and SRTP are accepted from these only.
    var validated: [SocketAddress] = []
    static let maxValidatedAddresses = 8
    var dtls: DTLSEndpoint?
    var srtp: SRTPSession?
    var consentDeadline: NIODeadline
    /// Until DTLS is done; nil afterwards.
    var handshakeDeadline: NIODeadline?
    var inboundSSRCs: Set<UInt32> = []

    init(pc: PeerConnection, remoteFingerprint: [UInt8], now: NIODeadline, limits: WebRTCLimits) {
        self.pc = pc
        self.remoteFingerprint = remoteFingerprint
        consentDeadline = now + TimeAmount(limits.consentTimeout)
        handshakeDeadline = now + TimeAmount(limits.handshakeTimeout)
    }
}

@available(*, unavailable) extension PeerConnectionState: Sendable {}

extension TimeAmount {
    init(_ d: Duration) {
        let (s, atto) = d.components
        self = .nanoseconds(s.multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max / 2 : s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
