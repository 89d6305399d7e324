import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that compare Sluice with a peer in the same run.",
        subcommands: [Transcode.self, Viewers.self]
    )

    struct Viewers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Simulate N LL-HLS viewers against any HLS URL and report delivery delay."
        )
        @Option(help: "Media or multivariant playlist URL.") var url: String
        @Option(help: "Number of viewers.") var count: Int = 100
        @Option(help: "Seconds to run.") var duration: Int = 30
        @Flag(help: "End with one JSON object on the last line.") var json = false
        func run() async throws { throw NotBuiltYet(command: "bench viewers") }
    }
}
