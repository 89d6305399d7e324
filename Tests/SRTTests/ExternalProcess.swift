import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real external client (ffmpeg, srt-live-transmit) started by a test and always killed.
final class ExternalProcess: @unchecked Sendable { // Process is used from the test's task only
    let process = Process()
    private let errorPipe = Pipe()

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { kill() }

    /// SIGKILL: a publisher that vanishes is the case under test, and ffmpeg's SIGTERM path
    /// can sit in a socket flush for seconds.
    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Waits for exit, up to `seconds` (then kills); returns the exit status and stderr.
    func finish(within seconds: Double) async -> (status: Int32, stderr: String) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        kill()
        let text = String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, text)
    }
}

/// Polls `condition` until it holds or `seconds` pass: a bound on a test, not a speed check.
func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}

/// ffmpeg pushing a test pattern with a tone as MPEG-TS over SRT, for `seconds` of media.
func ffmpegSRTPush(port: Int, streamID: String, passphrase: String? = nil, seconds: Int = 20) throws -> ExternalProcess {
    var query = "streamid=\(streamID.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&latency=120000&pkt_size=1316"
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
