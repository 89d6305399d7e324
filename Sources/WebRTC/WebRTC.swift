// Sluice's WebRTC protocol pieces, pure and testable without sockets: STUN (RFC 8489), SDP
// offer/answer, RTP/RTCP packetization. Sockets, DTLS and SRTP live in WebRTCServer.
public enum WebRTCProtocol {}
