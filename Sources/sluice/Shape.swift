import ArgumentParser

struct Shape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A user-space network shaper (delay, loss, trace-driven bandwidth) for weak-network tests.",
        discussion: "The kernels Sluice targets often lack netem; this relays UDP/TCP on loopback and shapes it from a trace in shared/data."
    )

    @Option(help: "Local listen address, e.g. 127.0.0.1:19000") var listen: String
    @Option(help: "Upstream address, e.g. 127.0.0.1:9000") var upstream: String
    @Option(help: "Bandwidth trace or profile file.") var profile: String?

    func run() async throws { throw NotBuiltYet(command: "shape") }
}
