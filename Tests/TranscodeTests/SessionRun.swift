import MediaCore
import StreamHub
import Transcode

/// Runs a session over `events` to the end and returns what it produced.
func runSession(_ config: TranscodeConfiguration, events: [HubEvent],
                beforeEach: ((Int, TranscodeSession) -> Void)? = nil) -> (RenditionCollector, TranscodeStats) {
    let collector = RenditionCollector()
    let session = TranscodeSession(configuration: config, sink: collector)
    session.start()
    for (i, e) in events.enumerated() {
        beforeEach?(i, session)
        session.push(e)
    }
    session.finish()
    return (collector, session.stats)
}

/// Small, lossless settings for tests: a three-rung ladder for a 320×240 source, 1 s GOPs.
func testConfiguration(ladder: String = "240p:500k,180p:300k,120p:150k") throws -> TranscodeConfiguration {
    var config = TranscodeConfiguration()
    config.ladder = try Ladder(parsing: ladder)
    config.overload = .block
    config.gopSeconds = 1
    config.preset = "ultrafast"
    config.audio = []
    return config
}

func events(_ track: TrackInfo, _ units: [MediaUnit]) -> [HubEvent] {
    [.tracks([track])] + units.map { .unit($0) }
}
