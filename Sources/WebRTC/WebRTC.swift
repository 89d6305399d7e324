// Sluice's WebRTC protocol pieces, pure and testable without sockets: STUN (RFC 8489), SDP
// offer/answer, RTP/RTCP packetization, the retransmission history and the pacer. Sockets,
// DTLS and SRTP live in WebRTCServer.
public enum WebRTCProtocol {}
