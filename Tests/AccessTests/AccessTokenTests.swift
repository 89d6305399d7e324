import Access
import Config
import Testing

@Suite struct AccessTokenTests {
    /// The same bytes `openssl` computes (Docs/Operations.md shows the shell command):
    /// printf 'publish\nlive/show\n1796052169' | openssl dgst -sha256 -hmac s3cret
    @Test func signsLikeOpenSSL() {
        #expect(AccessToken.sign(secret: "s3cret", action: "publish", path: "live/show", expires: 1_796_052_169)
            == "767d0c39b7ff79a989652aaae75d3f4f54faa5b52791197668237ab9eb99a3f0")
    }

    @Test func mintedTokensVerifyUntilTheyExpire() {
        let q = AccessQuery(AccessToken.query(secret: "s", action: .play, path: "live/a", ttl: 60, now: 1000))
        let exp = try! #require(q.expires), token = try! #require(q.token)
        #expect(exp == "1060")
        #expect(AccessToken.verify(secret: "s", action: "play", path: "live/a", expires: exp, token: token, now: 1060) == .valid)
        #expect(AccessToken.verify(secret: "s", action: "play", path: "live/a", expires: exp, token: token, now: 1061) == .expired)
        // Bound to the secret, the action, the path and the expiry.
        #expect(AccessToken.verify(secret: "t", action: "play", path: "live/a", expires: exp, token: token, now: 1000) == .bad)
        #expect(AccessToken.verify(secret: "s", action: "publish", path: "live/a", expires: exp, token: token, now: 1000) == .bad)
        #expect(AccessToken.verify(secret: "s", action: "play", path: "live/b", expires: exp, token: token, now: 1000) == .bad)
        #expect(AccessToken.verify(secret: "s", action: "play", path: "live/a", expires: "1061", token: token, now: 1000) == .bad)
        // Malformed input is bad, never a trap.
        for garbage in ["", "zz", String(repeating: "a", count: 63), String(repeating: "f", count: 100_000), "é"] {
            #expect(AccessToken.verify(secret: "s", action: "play", path: "live/a", expires: exp, token: garbage, now: 1000) == .bad)
        }
        for exp in ["", "-1", "99999999999999999999999", "1e9"] {
            #expect(AccessToken.verify(secret: "s", action: "play", path: "live/a", expires: exp, token: token, now: 0) == .bad)
        }
    }

    @Test func sharedTokensAreTheSameForEveryoneInAWindow() {
        let a = AccessToken.sharedToken(secret: "s", path: "live/a", now: 1_201, ttl: 3600, window: 600)
        let b = AccessToken.sharedToken(secret: "s", path: "live/a", now: 1_800, ttl: 3600, window: 600)
        let c = AccessToken.sharedToken(secret: "s", path: "live/a", now: 1_801, ttl: 3600, window: 600)
        #expect(a == b && b != c)
        #expect(a.hasPrefix("5400-")) // 1201 + 3600, rounded up to a multiple of 600 s
        #expect(AccessToken.verifyShared(secret: "s", path: "live/a", value: a, now: 5400) == .valid)
        #expect(AccessToken.verifyShared(secret: "s", path: "live/a", value: a, now: 5401) == .expired)
        #expect(AccessToken.verifyShared(secret: "s", path: "live/b", value: a, now: 1201) == .bad)
        #expect(AccessToken.verifyShared(secret: "s", path: "live/a", value: "nonsense", now: 1200) == .bad)
        // A personal play token is no shared one (different action in the MAC).
        let personal = AccessQuery(AccessToken.query(secret: "s", action: .play, path: "live/a", ttl: 60, now: 1000))
        #expect(AccessToken.verifyShared(secret: "s", path: "live/a", value: "\(personal.expires!)-\(personal.token!)", now: 1000) == .bad)
    }

    @Test func constantTimeEquality() {
        #expect(AccessToken.equal("abc", "abc"))
        #expect(!AccessToken.equal("abc", "abd") && !AccessToken.equal("abc", "ab") && !AccessToken.equal("", "a"))
    }

    @Test func queryParsing() {
        let q = AccessQuery("key=a%2Bb&k=other&exp=10&t=ff&u=alice&key=second")
        #expect(q.key == "a+b" && q.expires == "10" && q.token == "ff" && q.fields["u"] == "alice")
        #expect(AccessQuery("st=5400-abc").sharedToken == "5400-abc")
        #expect(AccessQuery(String(repeating: "a=b&", count: 5000)).fields.isEmpty) // over the bound: nothing
    }
}

@Suite struct AccessPolicyTests {
    typealias P = SluiceConfig.PublishAuth

    @Test func publishingIsOpenWithoutKeysOrSecret() {
        let d = ConfiguredAccess.checkPublish(P(), path: "live/a", query: AccessQuery(""))
        #expect(d.allowed && d.credential == nil)
    }

    @Test func staticKeys() {
        var auth = P()
        auth.keys = ["k1", "k2"]
        let k1 = ConfiguredAccess.checkPublish(auth, path: "live/a", query: AccessQuery("key=k1"))
        let k1again = ConfiguredAccess.checkPublish(auth, path: "live/b", query: AccessQuery("k=k1"))
        let k2 = ConfiguredAccess.checkPublish(auth, path: "live/a", query: AccessQuery("key=k2"))
        #expect(k1.allowed && k2.allowed && k1again.allowed)
        #expect(k1.credential != nil && k1.credential == k1again.credential && k1.credential != k2.credential)
        #expect(k1.credential != "k1") // a digest, not the key
        let wrong = ConfiguredAccess.checkPublish(auth, path: "live/a", query: AccessQuery("key=k3"))
        let missing = ConfiguredAccess.checkPublish(auth, path: "live/a", query: AccessQuery(""))
        #expect(!wrong.allowed && wrong.reason == "wrong publish key")
        #expect(!missing.allowed && missing.reason.contains("publish key is required"))
    }

    @Test func hmacTokens() {
        var auth = P()
        auth.hmacSecret = "sec"
        let now = AccessToken.now()
        let good = ConfiguredAccess.checkPublish(auth, path: "live/a",
                                                 query: AccessQuery(AccessToken.query(secret: "sec", action: .publish, path: "live/a", ttl: 60)))
        #expect(good.allowed && good.credential != nil)
        let expired = ConfiguredAccess.checkPublish(auth, path: "live/a",
                                                    query: AccessQuery(AccessToken.query(secret: "sec", action: .publish, path: "live/a", ttl: 10, now: now - 100)))
        #expect(!expired.allowed && expired.reason.contains("expired"))
        let otherPath = ConfiguredAccess.checkPublish(auth, path: "live/b",
                                                      query: AccessQuery(AccessToken.query(secret: "sec", action: .publish, path: "live/a", ttl: 60)))
        #expect(!otherPath.allowed && otherPath.reason == "bad publish token")
        #expect(!ConfiguredAccess.checkPublish(auth, path: "live/a", query: AccessQuery("")).allowed)
    }

    @Test func playTokens() {
        var play = SluiceConfig.PlayAuth()
        #expect(ConfiguredAccess.checkPlay(play, path: "live/a", query: AccessQuery("")).allowed)
        play.signingSecret = "p"
        #expect(!ConfiguredAccess.checkPlay(play, path: "live/a", query: AccessQuery("")).allowed)
        #expect(ConfiguredAccess.checkPlay(play, path: "live/a",
                                           query: AccessQuery(AccessToken.query(secret: "p", action: .play, path: "live/a", ttl: 60))).allowed)
        #expect(!ConfiguredAccess.checkPlay(play, path: "live/a",
                                            query: AccessQuery(AccessToken.query(secret: "p", action: .publish, path: "live/a", ttl: 60))).allowed)
    }

    @Test func theFirstMatchingPathRuleOverridesAuth() {
        var config = SluiceConfig()
        config.auth.publish.keys = ["global"]
        var vip = SluiceConfig.PathRule(match: "live/vip/**")
        vip.publish = P()
        vip.publish?.keys = ["vip"]
        var any = SluiceConfig.PathRule(match: "live/*")
        any.publish = P() // open
        config.paths = [vip, any]
        #expect(config.publishAuth(for: "live/vip/show").keys == ["vip"])
        #expect(config.publishAuth(for: "live/vip").keys == ["vip"]) // ** matches no segment too
        #expect(config.publishAuth(for: "live/show").keys.isEmpty)
        #expect(config.publishAuth(for: "shop/show").keys == ["global"])
        #expect(config.publishAuth(for: "live/a/b").keys == ["global"]) // * is one segment
    }

    @Test func globs() {
        #expect(PathGlob.matches("live/*", "live/a"))
        #expect(!PathGlob.matches("live/*", "live"))
        #expect(!PathGlob.matches("live/*", "live/a/b"))
        #expect(PathGlob.matches("**", "a/b/c"))
        #expect(PathGlob.matches("a/**/z", "a/z") && PathGlob.matches("a/**/z", "a/b/c/z") && !PathGlob.matches("a/**/z", "a/b/c"))
        #expect(PathGlob.matches("live/flagship", "live/flagship") && !PathGlob.matches("live/flagship", "live/flagship2"))
    }

    @Test func playGateNeedsAPersonalTokenForTheMultivariantOnly() {
        let gate = PlayGate { $0.hasPrefix("live/") ? PlayGate.Settings(secret: "p", sharedSeconds: 3600, windowSeconds: 600) : nil }
        let now = 10_000
        #expect(gate.check(path: "open/a", query: [:], personalOnly: true, now: now) == .open)
        let personal = AccessQuery(AccessToken.query(secret: "p", action: .play, path: "live/a", ttl: 60, now: now)).fields
        guard case .allowed(let shared) = gate.check(path: "live/a", query: personal, personalOnly: true, now: now) else {
            Issue.record("a good personal token was refused")
            return
        }
        #expect(gate.check(path: "live/a", query: ["st": shared], personalOnly: false, now: now) == .allowed(shared: shared))
        #expect(gate.check(path: "live/a", query: ["st": shared], personalOnly: true, now: now) != .allowed(shared: shared))
        #expect(gate.check(path: "live/b", query: ["st": shared], personalOnly: false, now: now) == .denied("bad play token"))
        #expect(gate.check(path: "live/a", query: [:], personalOnly: false, now: now) != .open)
    }
}
