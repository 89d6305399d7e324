import ArgumentParser
import Logging
import Server

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server: RTMP and SRT ingest, transcoding, LL-HLS origin.",
        discussion: """
        With no flags Sluice listens for RTMP on 1935, SRT on 9000 and HTTP on 8080. Port 0 \
        picks a free port; the port actually bound is logged.
        """
    )

    @Option(help: "RTMP listen port (0 = any free port).") var rtmpPort: Int = 1935
    @Option(help: "SRT listen port (0 = any free port).") var srtPort: Int = 9000
    @Option(help: "HTTP (LL-HLS origin, API) listen port (0 = any free port).") var httpPort: Int = 8080
    @Option(help: "Address to bind every listener to.") var host: String = "0.0.0.0"

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "sluice")
        let server = SluiceServer(
            configuration: SluiceServerConfiguration(host: host, rtmpPort: rtmpPort, srtPort: srtPort, httpPort: httpPort),
            logger: logger)
        try await server.start()
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        if let port = server.rtmpPort {
            print("RTMP: push to rtmp://\(shown):\(port)/live/<stream> (bound port \(port))")
        }
        if let port = server.srtPort {
            print("SRT:  push to srt://\(shown):\(port)?streamid=live/<stream> (MPEG-TS; bound port \(port))")
        }
        try await server.run()
    }
}
