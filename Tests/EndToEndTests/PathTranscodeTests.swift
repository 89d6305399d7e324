import Config
import Logging
@testable import Server
import Testing
import Transcode

/// Which transcode settings a stream gets when its pipeline starts: the server's, a reloaded
/// `transcode` section, then the first matching `paths` rule.
@Suite struct PathTranscodeTests {
    let logger = Logger(label: "path-transcode")

    func resolve(_ path: String, base: TranscodeConfiguration?, start: SluiceConfig = SluiceConfig(), current: SluiceConfig) -> TranscodeConfiguration? {
        StreamPipelines.transcode(for: path, base: base, startTranscode: start.transcode, current: current, logger: logger)
    }

    func names(_ t: TranscodeConfiguration?) -> [String]? { t?.ladder.rungs.map(\.name) }

    @Test func withoutRulesTheServersSettingsStand() throws {
        var base = TranscodeConfiguration()
        base.ladder = try Ladder(parsing: "360p:600k")
        #expect(names(resolve("live/a", base: base, current: SluiceConfig())) == ["360p"])
        #expect(resolve("live/a", base: nil, current: SluiceConfig()) == nil)
    }

    @Test func theFirstMatchingRuleSetsLadderAndTranscode() throws {
        var c = SluiceConfig()
        var flagship = SluiceConfig.PathRule(match: "live/flagship")
        flagship.ladder = "1080p:6000k,720p:3000k"
        var test = SluiceConfig.PathRule(match: "live/*")
        test.transcode = false
        c.paths = [flagship, test]
        let base = TranscodeConfiguration()
        #expect(names(resolve("live/flagship", base: base, current: c)) == ["1080p", "720p"])
        #expect(resolve("live/other", base: base, current: c) == nil)
        #expect(names(resolve("shop/x", base: base, current: c)) == ["720p", "480p", "360p"])
        // A rule turns transcoding on for a server started with --no-transcode.
        var on = SluiceConfig.PathRule(match: "shop/**")
        on.transcode = true
        c.paths = [on]
        #expect(names(resolve("shop/a/b", base: nil, current: c)) == ["720p", "480p", "360p"])
    }

    @Test func aReloadedTranscodeSectionAppliesToTheNextStream() {
        let start = SluiceConfig()
        var current = start
        current.transcode.ladder = "240p:300k"
        current.transcode.preset = "ultrafast"
        let t = resolve("live/a", base: TranscodeConfiguration(), start: start, current: current)
        #expect(names(t) == ["240p"] && t?.preset == "ultrafast")
        current.transcode.enabled = false
        #expect(resolve("live/a", base: TranscodeConfiguration(), start: start, current: current) == nil)
    }
}
