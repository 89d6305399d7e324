import ArgumentParser
import Foundation
import Logging
import FFmpegBridge
import Server
import Transcode

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: RTMP and SRT ingest, transcoding, LL-HLS origin.",
        discussion: """
        With no flags Sluice listens for RTMP on 1935, SRT on 9000 and HTTP on 8080. Port 0 \
        picks a free port; the port actually bound is logged.
        """
    )

    @Option(parsing: .unconditional, help: "RTMP listen port (0 = any free port).") var rtmpPort: Int = 1935
    @Option(parsing: .unconditional, help: "SRT listen port (0 = any free port).") var srtPort: Int = 9000
    @Option(parsing: .unconditional, help: "HTTP (LL-HLS origin, API) listen port (0 = any free port).") var httpPort: Int = 8080
    @Option(help: "Address to bind every listener to.") var host: String = "0.0.0.0"
    @Option(help: "Transcode ladder, e.g. 720p:3000k,480p:1200k,360p:700k (rungs above the source are skipped).")
    var ladder: String?
    @Flag(help: "Serve the source rendition only; no transcoding.") var noTranscode = false
    @Option(help: "Passphrase every SRT publisher must use (10–79 characters).") var srtPassphrase: String?
    @Option(parsing: .unconditional, help: "SRT receiver latency in milliseconds (20–8000): the loss window repaired by retransmission.")
    var srtLatency: Int = 120
    @Flag(help: "Send RTMP players everything, however far behind they fall (no move to a lower rendition, no skip to a keyframe).")
    var noPlayerAdaptation = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"

    func validate() throws {
        try PortArgument.check(rtmpPort, option: "--rtmp-port")
        try PortArgument.check(srtPort, option: "--srt-port")
        try PortArgument.check(httpPort, option: "--http-port")
        // SRT is UDP, so only RTMP and HTTP (both TCP) can clash.
        if rtmpPort != 0 && rtmpPort == httpPort { throw ValidationError("--rtmp-port and --http-port are both \(rtmpPort)") }
        guard (20...8000).contains(srtLatency) else { throw ValidationError("--srt-latency must be 20–8000 ms, got \(srtLatency)") }
        if let ladder { _ = try Ladder(parsing: ladder) }
        if let p = srtPassphrase, !(10...79).contains(p.count) {
            throw ValidationError("--srt-passphrase must be 10 to 79 characters (libsrt's limit)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "sluice")
        // FFmpeg's own warnings (corrupt input, encoder trouble) go to the same log, not raw stderr.
        FFmpegLog.install(logger: logger, level: .warning)
        let server = SluiceServer(
            configuration: try configuration(),
            logger: logger)
        try await server.start()
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        let rtmpPort = server.rtmpPort, srtPort = server.srtPort
        // Printed once HTTP is up too, so no URL is shown for a server that then fails to start.
        try await server.run(onHTTPRunning: { port in
            if let rtmpPort {
                Self.say("RTMP: push to rtmp://\(shown):\(rtmpPort)/live/<stream> (bound port \(rtmpPort))")
            }
            if let srtPort {
                Self.say("SRT:  push to srt://\(shown):\(srtPort)?streamid=live/<stream> (MPEG-TS; bound port \(srtPort))")
            }
            Self.say("HLS:  play http://\(shown):\(port)/live/<stream>/index.m3u8 (LL-HLS; bound port \(port))")
            // The operator token (generated unless configured): the API and the dashboard need it.
            let token = server.apiToken
            Self.say(token.isEmpty ? "API:  http://\(shown):\(port)/api/v1/streams (no token: api.token is empty)"
                                   : "API:  http://\(shown):\(port)/api/v1/streams with Authorization: Bearer \(token)")
            Self.say("Dashboard: http://\(shown):\(port)/" + (token.isEmpty ? "" : "#token=\(token)"))
        })
    }

    func configuration() throws -> SluiceServerConfiguration {
        var transcode: TranscodeConfiguration? = nil
        if !noTranscode {
            var t = TranscodeConfiguration()
            if let ladder { t.ladder = try Ladder(parsing: ladder) }
            transcode = t
        }
        var configuration = SluiceServerConfiguration(host: host, rtmpPort: rtmpPort, srtPort: srtPort, httpPort: httpPort,
                                                      transcode: transcode, srtPassphrase: srtPassphrase, srtLatencyMs: srtLatency)
        configuration.playerAdaptation = !noPlayerAdaptation
        return configuration
    }

    /// Unbuffered, so the push/play lines reach a pipe or a journal at once.
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
