import ArgumentParser

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure latency of a stream: read SEI stamps over LL-HLS, SRT or RTMP.",
        discussion: "Works against Sluice or any other server; prints percentiles of stamp-to-arrival delay."
    )

    @Argument(help: "Stream to read, e.g. http://127.0.0.1:8080/live/demo/index.m3u8") var url: String
    @Option(help: "Seconds to measure.") var duration: Int = 30

    func run() async throws { throw NotBuiltYet(command: "probe") }
}
