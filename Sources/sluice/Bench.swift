import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that compare Sluice with a peer in the same run.",
        subcommands: [Transcode.self, Viewers.self]
    )

    struct Transcode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the transcode ladder as fast as possible; optionally against the ffmpeg CLI ladder."
        )
        @Option(help: "Input media file.") var input: String
        @Option(help: "Ladder, e.g. 720p:3000k,480p:1200k,360p:700k") var ladder: String?
        @Flag(help: "Also run the equivalent one-command ffmpeg ladder and print the ratio.") var compareFfmpeg = false
        @Flag(help: "End with one JSON object on the last line.") var json = false
        func run() async throws { throw NotBuiltYet(command: "bench transcode") }
    }
}
