import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that compare Sluice with a peer in the same run.",
        subcommands: [Transcode.self, Viewers.self, Uplink.self, ABRBench.self, BenchLatency.self, BenchWHEP.self]
    )
}
