import MediaCore
import Testing
@testable import HLS

/// Which variant the multivariant playlist lists first (the one players start with).
@Suite struct StartVariantTests {
    static func info(_ name: String, _ average: Int, video: Bool = true) -> RenditionInfo {
        let track = video ? TrackInfo(codec: .h264, timebase: Rational(1, 90000), width: 640, height: 360)
                          : TrackInfo(codec: .aac, timebase: Rational(1, 48000), sampleRate: 48000, channels: 2)
        return RenditionInfo(name: name, tracks: [track], isSource: name == "source",
                             peakBandwidth: average * 11 / 10, averageBandwidth: average, frameRate: nil)
    }

    static func firstVariant(_ playlist: String) -> String? {
        playlist.split(separator: "\n").first { $0.hasSuffix("/index.m3u8") }.map { String($0.dropLast("/index.m3u8".count)) }
    }

    let ladder = [info("source", 6_200_000), info("360p", 900_000), info("480p", 1_400_000), info("720p", 3_200_000)]

    @Test func theBestVariantWithinTheBudgetComesFirstTheRestKeepTheirOrder() {
        let text = MultivariantPlaylist.render(ladder, startBandwidth: 3_500_000)
        let order = text.split(separator: "\n").filter { $0.hasSuffix("/index.m3u8") }
        #expect(order == ["720p/index.m3u8", "source/index.m3u8", "360p/index.m3u8", "480p/index.m3u8"])
    }

    @Test func whenNothingFitsTheLightestStarts() {
        #expect(Self.firstVariant(MultivariantPlaylist.render(ladder, startBandwidth: 500_000)) == "360p")
    }

    @Test func withoutABudgetOrALadderTheOrderStays() {
        #expect(Self.firstVariant(MultivariantPlaylist.render(ladder)) == "source")
        #expect(Self.firstVariant(MultivariantPlaylist.render([Self.info("source", 6_200_000)], startBandwidth: 1)) == "source")
        // Audio-only variants are never the start: a player would begin without a picture.
        let withAudio = [Self.info("audio", 64_000, video: false), Self.info("source", 2_000_000)]
        #expect(Self.firstVariant(MultivariantPlaylist.render(withAudio, startBandwidth: 3_500_000)) == "source")
    }
}
