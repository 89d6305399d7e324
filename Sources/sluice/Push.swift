import ArgumentParser

struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a file or a generated test pattern to a server over RTMP or SRT.",
        discussion: "Stamps every video frame with a latency SEI so `sluice probe` can measure glass-to-glass delay."
    )

    @Argument(help: "Destination, e.g. rtmp://127.0.0.1/live/demo or srt://127.0.0.1:9000?streamid=...") var url: String
    @Option(help: "Input file to publish (default: a generated test pattern).") var input: String?

    func run() async throws { throw NotBuiltYet(command: "push") }
}
