import Access
import ArgumentParser
import StreamHub

/// `sluice token publish|play PATH --secret S [--ttl 3600]`: prints the query string an
/// encoder or a player appends (`exp=...&token=...`), signed like the server checks it.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint a publish or play token for a stream path (prints exp=...&token=...).",
        discussion: """
        publish: the RTMP stream name's query (rtmp://HOST/live/show?exp=...&token=...) or the \
        SRT streamid's (streamid=live/show?exp=...&token=...), checked against auth.publish.hmacSecret. \
        play: the HLS multivariant playlist's query (http://HOST:8080/live/show/index.m3u8?exp=...&token=...) \
        or an RTMP play name's, checked against auth.play.signingSecret.
        """)

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case publish, play
    }

    @Argument(help: "publish or play.")
    var action: Action

    @Argument(help: "The stream path, e.g. live/show.")
    var path: String

    @Option(help: "The secret (auth.publish.hmacSecret or auth.play.signingSecret).")
    var secret: String

    @Option(help: "Seconds the token stays valid.")
    var ttl = 3600

    func validate() throws {
        guard !secret.isEmpty else { throw ValidationError("--secret must not be empty") }
        guard (1...AccessToken.maxTTL).contains(ttl) else { throw ValidationError("--ttl must be 1–\(AccessToken.maxTTL) seconds, got \(ttl)") }
        do {
            _ = try StreamPath(validating: path)
        } catch {
            throw ValidationError("bad stream path \"\(StreamPath.escaped(path))\": \(error)")
        }
    }

    func run() throws {
        let action: AccessAction = self.action == .publish ? .publish : .play
        print(AccessToken.query(secret: secret, action: action, path: try StreamPath(validating: path).value, ttl: ttl))
    }
}
