import Testing
import Transcode

@Suite struct LadderTests {
    @Test func parsesTheCommandLineSyntax() throws {
        let ladder = try Ladder(parsing: "480p:1200k,720p:3m@60, 360p:700")
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

    /// Issue 9 finding 5: "720p:3000" was read as 3 kbit/s. A bare number is kbit/s, as in
    /// every encoder's UI, and values no encoder can honour are refused with the reason.
    @Test func aBareBitrateIsKilobitsAndAbsurdValuesAreRefused() throws {
        #expect(try Ladder(parsing: "720p:3000").rungs[0].bitrate == 3_000_000)
        #expect(try Ladder(parsing: "720p:2.5m").rungs[0].bitrate == 2_500_000)
        for bad in ["720p:3", "720p:49k", "720p:3000000", "720p:1e300", "720p:inf", "720p:nan",
                    "0p:1m", "99999p:1m", "1x1:1m", "100000x720:1m", "720p:1m@0", "720p:1m@1000", "-720p:1m"] {
            #expect(throws: LadderError.self, "\(bad)") { try Ladder(parsing: bad) }
        }
        let error = #expect(throws: LadderError.self) { try Ladder(parsing: "720p:3") }
        #expect(error?.description.contains("50k") == true, "\(String(describing: error))")
        let nine = (1...9).map { "\(100 + $0 * 16)p:500k" }.joined(separator: ",")
        #expect(throws: LadderError.self) { try Ladder(parsing: nine) }
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
