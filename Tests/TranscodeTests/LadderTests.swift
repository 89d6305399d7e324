import Testing
import Transcode

@Suite struct LadderTests {
    @Test func parsesTheCommandLineSyntax() throws {
        let ladder = try Ladder(parsing: "480p:1200k,720p:3m@60, 360p:700000")
        #expect(ladder.rungs.map(\.name) == ["720p", "480p", "360p"]) // largest first
        #expect(ladder.rungs.map(\.bitrate) == [3_000_000, 1_200_000, 700_000])
        #expect(ladder.rungs[0].maxFrameRate == 60)
        #expect(ladder.rungs[1].maxFrameRate == nil)
    }

    @Test func rejectsBadSpecs() {
        #expect(throws: LadderError.self) { try Ladder(parsing: "720p") }
        #expect(throws: LadderError.self) { try Ladder(parsing: "720p:fast") }
        #expect(throws: LadderError.self) { try Ladder(parsing: "big:300k") }
        #expect(throws: LadderError.self) { try Ladder(parsing: "720p:1m,720p:2m") }
    }

    @Test func defaultLadderFor1080p() {
        let rungs = Ladder.default.resolve(sourceWidth: 1920, sourceHeight: 1080)
        #expect(rungs.map { "\($0.width)x\($0.height)" } == ["1280x720", "854x480", "640x360"])
    }

    @Test func neverUpscalesAndKeepsEvenAspect() {
        let rungs = Ladder.default.resolve(sourceWidth: 1000, sourceHeight: 562)
        #expect(rungs.map(\.name) == ["480p", "360p"])
        for r in rungs {
            #expect(r.width % 2 == 0 && r.height % 2 == 0)
            #expect(abs(Double(r.width) / Double(r.height) - 1000.0 / 562.0) < 0.01)
        }
        #expect(Ladder.default.resolve(sourceWidth: 320, sourceHeight: 240).isEmpty)
    }
}
