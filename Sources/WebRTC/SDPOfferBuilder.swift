/// A browser-like WHEP/WHIP offer (for clients, benchmarks and tests): one H.264 video section
/// (packetization-mode=1, several profiles), optionally Opus, BUNDLE, rtcp-mux, setup:actpass.
public struct SDPOfferBuilder: Sendable {
    public var ufrag: String
    public var pwd: String
    /// "AB:CD:..." of the offerer's DTLS certificate.
    public var fingerprintSHA256: String
    /// recvonly for WHEP, sendonly for WHIP.
    public var direction = "recvonly"
    /// profile-level-ids offered, in order of preference (Chromium offers these three first).
    public var h264Profiles = ["42e01f", "4d001f", "640c1f"]
    public var audio = true
    /// Maps the playout-delay header extension (`PlayoutDelay`) on video with this id, as Chromium does (5).
    public var playoutDelayExtensionID: Int?

    public init(ufrag: String, pwd: String, fingerprintSHA256: String) {
        self.ufrag = ufrag
        self.pwd = pwd
        self.fingerprintSHA256 = fingerprintSHA256
    }

    /// Video payload types start at 102 (two apart, as Chromium leaves room for RTX); Opus is 111.
    public static let firstVideoPayloadType = 102
    public static let opusPayloadType = 111

    public func build() -> String {
        let videoPTs = h264Profiles.indices.map { Self.firstVideoPayloadType + 2 * $0 }
        let mids = audio ? "0 1" : "0"
        var lines = ["v=0", "o=- \(UInt32.random(in: 1...UInt32.max)) 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
                     "a=group:BUNDLE \(mids)", "a=msid-semantic: WMS"]
        func common(_ mid: String) {
            lines += ["c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", "a=ice-ufrag:\(ufrag)", "a=ice-pwd:\(pwd)",
                      "a=fingerprint:sha-256 \(fingerprintSHA256)", "a=setup:actpass", "a=mid:\(mid)",
                      "a=\(direction)", "a=rtcp-mux"]
        }
        lines.append("m=video 9 UDP/TLS/RTP/SAVPF " + videoPTs.map(String.init).joined(separator: " "))
        common("0")
        lines.append("a=rtcp-rsize")
        if let id = playoutDelayExtensionID { lines.append("a=extmap:\(id) \(PlayoutDelay.uri)") }
        for (pt, profile) in zip(videoPTs, h264Profiles) {
            lines += ["a=rtpmap:\(pt) H264/90000", "a=rtcp-fb:\(pt) nack", "a=rtcp-fb:\(pt) nack pli", "a=rtcp-fb:\(pt) ccm fir",
                      "a=fmtp:\(pt) level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=\(profile)"]
        }
        if audio {
            lines.append("m=audio 9 UDP/TLS/RTP/SAVPF \(Self.opusPayloadType)")
            common("1")
            lines += ["a=rtpmap:\(Self.opusPayloadType) opus/48000/2", "a=fmtp:\(Self.opusPayloadType) minptime=10;useinbandfec=1"]
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
