import Access
import Foundation
import Testing
import TestSupport

/// `sluice token` prints a query the server accepts; bad arguments get one line and a non-zero exit.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct TokenCLITests {
    @Test func mintsTokensTheServerAccepts() async throws {
        let minted = try await CLITests.run(["token", "publish", "live/show", "--secret", "s3cret", "--ttl", "120"])
        #expect(minted.status == 0, "\(minted.err)")
        let q = AccessQuery(minted.out.trimmingCharacters(in: .whitespacesAndNewlines))
        let exp = try #require(q.expires.flatMap(Int.init)), token = try #require(q.token)
        #expect(exp > AccessToken.now() && exp <= AccessToken.now() + 120)
        #expect(AccessToken.verify(secret: "s3cret", action: "publish", path: "live/show", expires: String(exp), token: token) == .valid)
        let play = try await CLITests.run(["token", "play", "live/show", "--secret", "p"])
        let pq = AccessQuery(play.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(AccessToken.verify(secret: "p", action: "play", path: "live/show", expires: pq.expires ?? "", token: pq.token ?? "") == .valid)
    }

    @Test func badArgumentsAreRefused() async throws {
        for args in [["token", "publish", "live/../x", "--secret", "s"], ["token", "publish", "live/x", "--secret", ""],
                     ["token", "publish", "live/x", "--secret", "s", "--ttl", "0"], ["token", "watch", "live/x", "--secret", "s"]] {
            let r = try await CLITests.run(args)
            #expect(r.status != 0 && r.err.contains("Error:") && r.out.isEmpty, "\(args): \(r.err)")
        }
    }
}
