import Foundation
import TestSupport

/// ffmpeg pushing a test pattern with a tone as MPEG-TS over SRT, for `seconds` of media.
/// `encode: false` puts `streamID` into the URL as given (to send escapes such as `%00`).
func ffmpegSRTPush(port: Int, streamID: String, passphrase: String? = nil, seconds: Int = 20, encode: Bool = true) throws -> ExternalProcess {
    let id = encode ? streamID.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! : streamID
    var query = "streamid=\(id)&latency=120000&pkt_size=1316"
    if let passphrase { query += "&passphrase=\(passphrase)" }
    return try ExternalProcess("ffmpeg", [
        "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", "\(seconds)",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "64k",
        "-f", "mpegts", "srt://127.0.0.1:\(port)?\(query)",
    ])
}
