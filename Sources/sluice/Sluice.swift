import ArgumentParser

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Live media relay and adaptive-bitrate transcoding server.",
        discussion: """
        Sluice takes RTMP and SRT pushes, decodes once, transcodes a ladder of renditions and \
        serves Low-Latency HLS, relaying RTMP/SRT to other servers. Run `sluice serve` and push \
        to rtmp://HOST/live/STREAM.
        """,
        version: SluiceVersion.string,
        subcommands: [Serve.self, Push.self, Probe.self, Clip.self, Bench.self, Shape.self, Token.self, Versions.self]
    )
}
