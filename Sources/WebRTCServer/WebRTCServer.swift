import CWebRTC

// Sluice's WebRTC tier: one UDP port (BUNDLE, rtcp-mux), ICE-lite, DTLS-SRTP, WHEP/WHIP sessions.
public enum WebRTCLibraries {
    /// Initialises libsrtp2 once; false if it failed.
    public static func initialise() -> Bool { cwebrtc_init() == 0 }
    public static var openSSLVersion: UInt { UInt(cwebrtc_openssl_version()) }
}
