import Testing
@testable import Server

@Suite struct APITokenTests {
    @Test func onlyTheExactBearerTokenPasses() {
        let token = "0123456789abcdef"
        #expect(APIToken.authorized("Bearer 0123456789abcdef", token: token))
        #expect(APIToken.authorized("bearer 0123456789abcdef", token: token), "the scheme is case-insensitive")
        for header in [nil, "", "Bearer", "Bearer ", "Basic 0123456789abcdef", "Bearer 0123456789abcde", "Bearer 0123456789abcdeff",
                       "Bearer 0123456789abcdeF", "0123456789abcdef"] {
            #expect(!APIToken.authorized(header, token: token), "\(String(describing: header))")
        }
    }

    @Test func generatedTokensAre256BitHexAndDiffer() {
        let a = APIToken.generate(), b = APIToken.generate()
        #expect(a.count == 64 && a.allSatisfy(\.isHexDigit))
        #expect(a != b)
    }

    @Test func everyPathUnderTheAPIPrefixIsGuardedAndNothingElse() {
        typealias M = APIToken
        #expect(M.guards("/api/v1/streams") && M.guards("/api/v1/reload") && M.guards("/api/v1"))
        #expect(!M.guards("/healthz") && !M.guards("/readyz") && !M.guards("/") && !M.guards("/api/v10") && !M.guards("/live/a/index.m3u8"))
    }
}
