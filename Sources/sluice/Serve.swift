import ArgumentParser
import Config
import Dispatch
import Foundation
import Logging
import FFmpegBridge
import Server
import Transcode

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: RTMP and SRT ingest, transcoding, LL-HLS origin.",
        discussion: """
        With no file and no flags Sluice listens for RTMP on 1935, SRT on 9000 and HTTP on 8080. \
        Port 0 picks a free port; the port actually bound is logged. Settings come from the \
        built-in defaults, then --config FILE (YAML), then SLUICE_<SECTION>_<KEY> environment \
        variables (e.g. SLUICE_LISTENERS_RTMP_PORT=1936, SLUICE_LOGGING_LEVEL=debug), then these \
        flags. --print-config shows the result. SIGHUP (or POST /api/v1/reload) reads the file \
        again; see Docs/Operations.md#configuration.
        """
    )

    @Option(name: .customLong("config"), help: ArgumentHelp("YAML configuration file (Docs/Operations.md#configuration).", valueName: "file"))
    var configFile: String?
    @Flag(help: "Print the effective configuration (file, environment and flags applied) as YAML and exit.")
    var printConfig = false
    @Option(parsing: .unconditional, help: "RTMP listen port (0 = any free port; default 1935).") var rtmpPort: Int?
    @Option(parsing: .unconditional, help: "SRT listen port (0 = any free port; default 9000).") var srtPort: Int?
    @Option(parsing: .unconditional, help: "HTTP (LL-HLS origin, API) listen port (0 = any free port; default 8080).")
    var httpPort: Int?
    @Option(help: "Address to bind every listener to (default 0.0.0.0).") var host: String?
    @Option(help: "Transcode ladder, e.g. 720p:3000k,480p:1200k,360p:700k (rungs above the source are skipped).")
    var ladder: String?
    @Flag(help: "Serve the source rendition only; no transcoding.") var noTranscode = false
    @Option(help: "Passphrase every SRT publisher must use (10–79 characters).") var srtPassphrase: String?
    @Option(parsing: .unconditional, help: "SRT receiver latency in milliseconds (20–8000; default 120): the loss window repaired by retransmission.")
    var srtLatency: Int?
    @Flag(help: "Send RTMP players everything, however far behind they fall (no move to a lower rendition, no skip to a keyframe).")
    var noPlayerAdaptation = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error (default info).") var logLevel: String?

    func validate() throws {
        if let rtmpPort { try PortArgument.check(rtmpPort, option: "--rtmp-port") }
        if let srtPort { try PortArgument.check(srtPort, option: "--srt-port") }
        if let httpPort { try PortArgument.check(httpPort, option: "--http-port") }
        // SRT is UDP, so only RTMP and HTTP (both TCP) can clash.
        if let rtmpPort, rtmpPort != 0 && rtmpPort == httpPort { throw ValidationError("--rtmp-port and --http-port are both \(rtmpPort)") }
        if let srtLatency, !(20...8000).contains(srtLatency) {
            throw ValidationError("--srt-latency must be 20–8000 ms, got \(srtLatency)")
        }
        if let ladder { _ = try Ladder(parsing: ladder) }
        if let p = srtPassphrase, !(10...79).contains(p.count) {
            throw ValidationError("--srt-passphrase must be 10 to 79 characters (libsrt's limit)")
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        let loaded: LoadedConfig
        do {
            loaded = try effectiveConfiguration()
        } catch let error as ConfigError {
            throw CommandFailure("invalid configuration: \(error)")
        }
        if printConfig {
            FileHandle.standardOutput.write(Data(try ConfigLoader.yaml(loaded.config).utf8))
            return
        }
        SluiceLogLevel.shared.level = Logger.Level(rawValue: loaded.config.logging.level) ?? .info
        LoggingSystem.bootstrap { label in
            ReloadableLogHandler(StreamLogHandler.standardError(label: label))
        }
        let logger = Logger(label: "sluice")
        // FFmpeg's own warnings (corrupt input, encoder trouble) go to the same log, not raw stderr.
        FFmpegLog.install(logger: logger, level: .warning)
        var configuration = try SluiceServerConfiguration(file: loaded.config)
        let reread = self
        configuration.reloadSource = { try reread.effectiveConfiguration().config }
        let server = SluiceServer(configuration: configuration, logger: logger)
        try await server.start()

        // SIGHUP reads the file again; an invalid one is logged and the running configuration stays.
        #if canImport(Darwin)
        signal(SIGHUP, SIG_IGN) // kqueue delivers it to the source (as ServiceLifecycle does); Linux's Dispatch needs no help
        #endif
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "sluice.sighup"))
        hangup.setEventHandler {
            do {
                _ = try server.reloadFromSource()
            } catch {
                logger.error("reload refused, the running configuration stays: \(error)")
            }
        }
        hangup.resume()
        defer { hangup.cancel() }

        let host = configuration.host
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
            if loaded.config.webrtc.enabled {
                let udp = loaded.config.webrtc.port
                Self.say("WebRTC: play http://\(shown):\(port)/player/webrtc?src=/whep/live/<stream> (WHEP), publish to "
                         + "http://\(shown):\(port)/whip/live/<stream> (WHIP; UDP port \(udp == 0 ? "chosen at the first session" : "\(udp)"))")
            }
            // The operator token (generated unless configured): the API and the dashboard need it.
            let token = server.apiToken
            Self.say(token.isEmpty ? "API:  http://\(shown):\(port)/api/v1/streams (no token: api.token is empty)"
                                   : "API:  http://\(shown):\(port)/api/v1/streams with Authorization: Bearer \(token)")
            Self.say("Dashboard: http://\(shown):\(port)/" + (token.isEmpty ? "" : "#token=\(token)"))
        })
    }

    /// Defaults < `--config` file < `SLUICE_*` environment < flags, validated (ladders included).
    func effectiveConfiguration() throws -> LoadedConfig {
        let environment = ProcessInfo.processInfo.environment
        var loaded = try configFile.map { try ConfigLoader.load(contentsOf: $0, environment: environment) }
            ?? ConfigLoader.load(yaml: "", fileName: "defaults", environment: environment)
        if let host { loaded.override(\.listeners.host, with: host, keyPath: "listeners.host", flag: "--host") }
        if let rtmpPort { loaded.override(\.listeners.rtmp.port, with: rtmpPort, keyPath: "listeners.rtmp.port", flag: "--rtmp-port") }
        if let srtPort { loaded.override(\.listeners.srt.port, with: srtPort, keyPath: "listeners.srt.port", flag: "--srt-port") }
        if let httpPort { loaded.override(\.listeners.http.port, with: httpPort, keyPath: "listeners.http.port", flag: "--http-port") }
        if let ladder { loaded.override(\.transcode.ladder, with: ladder, keyPath: "transcode.ladder", flag: "--ladder") }
        if noTranscode { loaded.override(\.transcode.enabled, with: false, keyPath: "transcode.enabled", flag: "--no-transcode") }
        if let srtPassphrase {
            loaded.override(\.listeners.srt.passphrase, with: srtPassphrase, keyPath: "listeners.srt.passphrase", flag: "--srt-passphrase")
        }
        if let srtLatency {
            loaded.override(\.listeners.srt.latencyMs, with: srtLatency, keyPath: "listeners.srt.latencyMs", flag: "--srt-latency")
        }
        if noPlayerAdaptation {
            loaded.override(\.transcode.playerAdaptation, with: false, keyPath: "transcode.playerAdaptation", flag: "--no-player-adaptation")
        }
        if let logLevel { loaded.override(\.logging.level, with: logLevel, keyPath: "logging.level", flag: "--log-level") }
        try loaded.validate(ladder: { spec in
            do {
                _ = try Ladder(parsing: spec)
                return nil
            } catch let error as LadderError {
                return "invalid ladder: \(error.reason)"
            } catch {
                return "invalid ladder: \(error)"
            }
        })
        return loaded
    }

    /// Unbuffered, so the push/play lines reach a pipe or a journal at once.
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
