import SRTTransport
import Testing

@Suite struct SRTStreamIDTests {
    @Test func parsesAccessControlSyntax() throws {
        let id = try SRTStreamID.parse("#!::r=live/demo,m=publish,u=alice,s=abc,t=stream,x=1")
        #expect(id == SRTStreamID(resource: "live/demo", mode: .publish, user: "alice", session: "abc", type: "stream", extra: ["x": "1"]))
    }

    @Test func modeDefaultsToRequestWithThePrefix() throws {
        #expect(try SRTStreamID.parse("#!::r=live/demo").mode == .request)
    }

    @Test func bareStreamIDIsAPublisherResource() throws {
        #expect(try SRTStreamID.parse("live/demo") == SRTStreamID(resource: "live/demo", mode: .publish))
    }

    @Test func rejectsUnknownModeMalformedPairsAndOverlongIDs() {
        #expect(throws: SRTStreamID.ParseError.badMode("sing")) { try SRTStreamID.parse("#!::r=a/b,m=sing") }
        #expect(throws: SRTStreamID.ParseError.malformed("rlive")) { try SRTStreamID.parse("#!::rlive") }
        #expect(throws: SRTStreamID.ParseError.tooLong) { try SRTStreamID.parse(String(repeating: "a", count: 513)) }
    }
}

@Suite struct SRTStreamIDEncodingTests {
    @Test func percentEncodedStreamIDFromFFmpegIsDecoded() throws {
        let id = try SRTStreamID.parse("%23%21%3A%3Ar%3Dlive%2Fsrt%2Cm%3Dpublish")
        #expect(id.resource == "live/srt" && id.mode == .publish)
    }
}
