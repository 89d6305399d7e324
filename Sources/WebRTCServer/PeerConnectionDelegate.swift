import WebRTC

/// What a peer tells its media session. Every call arrives on the transport's event loop: return
/// quickly, never block (hand work to your own thread through a bounded queue).
public protocol PeerConnectionDelegate: AnyObject, Sendable {
    /// DTLS is done and SRTP keys are ready: start sending.
    func peerConnected(_ pc: PeerConnection)
    func peer(_ pc: PeerConnection, receivedRTCP: [RTCPPacket])
    /// A decrypted RTP packet (WHIP).
    func peer(_ pc: PeerConnection, receivedRTP: [UInt8])
    /// Once per peer: `close(reason:)` (e.g. DELETE), consent expiry (RFC 7675), handshake
    /// timeout, DTLS alert or failure, transport shutdown. The peer is gone from the transport.
    func peerClosed(_ pc: PeerConnection, reason: String)
}
