import ArgumentParser

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
        throw NotBuiltYet(command: "serve")
    }
}
