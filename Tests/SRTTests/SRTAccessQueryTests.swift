import Access
@testable import Ingest
import SRTTransport
import Testing

/// What an SRT caller's streamid gives access control: the key or token, in each syntax.
@Suite struct SRTAccessQueryTests {
    func query(_ raw: String) throws -> AccessQuery {
        AccessQuery(SRTIngestServer.query(try SRTStreamID.parse(raw)))
    }

    @Test func keysAndTokensInEverySyntax() throws {
        #expect(try query("#!::r=live/x,k=SECRET").key == "SECRET")
        #expect(try query("#!::r=live/x,m=publish,key=SECRET").key == "SECRET")
        #expect(try query("live/x?key=SECRET").key == "SECRET")
        #expect(try query("%23%21%3A%3Ar%3Dlive%2Fx%2Ck%3DSECRET").key == "SECRET") // still URL-encoded (ffmpeg 5.1)
        let hmac = try query("#!::r=live/x,u=alice,exp=123,t=abcd")
        #expect(hmac.expires == "123" && hmac.token == "abcd" && hmac.fields["u"] == "alice")
        let q = try query("#!::r=live/x?exp=5&token=ef,u=bob")
        #expect(q.expires == "5" && q.token == "ef" && q.fields["u"] == "bob")
        #expect(try query("live/x").fields.isEmpty)
    }

    @Test func theAdmittedPathLeavesTheQueryOut() throws {
        let (path, decision) = try SRTIngestServer.admit(try SRTStreamID.parse("live/x?key=SECRET"), hub: .init(), access: AllowAll())
        #expect(path.value == "live/x" && decision.allowed)
    }

    @Test func keysStayOutOfTheLog() {
        #expect(SRTIngestServer.redacted("live/x?key=SECRET") == "live/x")
        #expect(SRTIngestServer.redacted("#!::r=live/x?token=1,m=publish,k=SECRET,u=a") == "#!::r=live/x,m=publish")
        #expect(SRTIngestServer.redacted("%23%21%3A%3Ar%3Dlive%2Fx%2Ck%3DSECRET") == "#!::r=live/x")
    }

    @Test func peerAddresses() {
        #expect(SRTIngestServer.ip("127.0.0.1:5000") == "127.0.0.1")
        #expect(SRTIngestServer.ip("[::1]:5000") == "::1")
    }
}
