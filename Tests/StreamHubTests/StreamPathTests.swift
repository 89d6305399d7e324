import MediaCore
import NIOCore
import Testing
@testable import StreamHub

@Suite struct StreamPathTests {
    @Test func acceptsOrdinaryNames() throws {
        for ok in ["live/demo", "demo", "live/cam-1_b.v2~x", "a/b/c/d/e/f/g/h", String(repeating: "n", count: 64)] {
            #expect(try StreamPath(validating: ok).value == ok)
        }
    }

    @Test func refusesWhatCouldForgeLogsEscapeOrExhaust() {
        #expect(throws: StreamPathError.badCharacter(0)) { try StreamPath(validating: "live/a\u{0}b") }
        #expect(throws: StreamPathError.badCharacter(0x0A)) { try StreamPath(validating: "live/a\nINFO forged") }
        #expect(throws: StreamPathError.badCharacter(0x25)) { try StreamPath(validating: "live/a%00") }
        #expect(throws: StreamPathError.badCharacter(0x3F)) { try StreamPath(validating: "live/a?key=1") }
        #expect(throws: StreamPathError.badCharacter(0xC3)) { try StreamPath(validating: "live/caf\u{e9}") }
        #expect(throws: StreamPathError.dotSegment) { try StreamPath(validating: "live/../etc") }
        #expect(throws: StreamPathError.dotSegment) { try StreamPath(validating: "./live") }
        #expect(throws: StreamPathError.emptySegment) { try StreamPath(validating: "live//a") }
        #expect(throws: StreamPathError.emptySegment) { try StreamPath(validating: "/live") }
        #expect(throws: StreamPathError.emptySegment) { try StreamPath(validating: "live/") }
        #expect(throws: StreamPathError.empty) { try StreamPath(validating: "") }
        #expect(throws: StreamPathError.segmentTooLong(bytes: 65, limit: 64)) { try StreamPath(validating: String(repeating: "n", count: 65)) }
        #expect(throws: StreamPathError.tooLong(bytes: 65_536, limit: 200)) { try StreamPath(validating: String(repeating: "n", count: 65_536)) }
        #expect(throws: StreamPathError.tooManySegments(9, limit: 8)) { try StreamPath(validating: "a/b/c/d/e/f/g/h/i") }
    }

    @Test func overlapIsWholeSegmentPrefixEitherWay() throws {
        let p = try StreamPath(validating: "live/a")
        #expect(p.collides(with: "live/a/source"))
        #expect(p.collides(with: "live"))
        #expect(!p.collides(with: "live/a"))
        #expect(!p.collides(with: "live/ab"))
        #expect(!p.collides(with: "live/b"))
    }

    @Test func escapedNamesAreOneSafeLogLine() {
        #expect(StreamPath.escaped("a\nb\u{0}\"c\\") == "a\\x0ab\\x00\\x22c\\x5c")
        #expect(StreamPath.escaped(String(repeating: "n", count: 1000), limit: 4) == "nnnn…(1000 bytes)")
    }
}

@Suite struct StreamHubOverlapTests {
    @Test func aPathOverlappingALiveOneIsRefusedBothWays() throws {
        let hub = StreamHub()
        let legit = try hub.publish(StreamPath(validating: "live/legit"), credential: "key")
        #expect(throws: PublishRefusal.overlaps(path: "live/legit/source", inUse: "live/legit")) {
            try hub.publish(StreamPath(validating: "live/legit/source"))
        }
        #expect(throws: PublishRefusal.overlaps(path: "live", inUse: "live/legit")) { try hub.publish(StreamPath(validating: "live")) }
        #expect(hub.paths == ["live/legit"])
        // The same path with the same key is a takeover, not an overlap.
        _ = try hub.publish(StreamPath(validating: "live/legit"), credential: "key")
        legit.end() // evicted: a no-op
        #expect(hub.paths == ["live/legit"])
    }

    @Test func aTakeoverNeedsTheLivePublishersCredential() throws {
        let hub = StreamHub()
        let path = try StreamPath(validating: "live/show")
        let live = try hub.publish(path, credential: "k1")
        #expect(throws: PublishRefusal.busy(path: "live/show")) { try hub.publish(path, credential: "k2") }
        #expect(throws: PublishRefusal.busy(path: "live/show")) { try hub.publish(path) }
        #expect(throws: PublishRefusal.busy(path: "live/show")) { try hub.check(path, credential: "k2") }
        try hub.check(path, credential: "k1")
        _ = try hub.publish(path, credential: "k1") // the owner reconnecting
        live.end() // the evicted connection closes: a no-op
        #expect(hub.stream("live/show")?.hasPublisher == true)
    }

    @Test func withoutAKeyTheLivePublisherKeepsThePathUntilItLeaves() throws {
        let hub = StreamHub()
        let path = try StreamPath(validating: "live/open")
        let first = try hub.publish(path)
        #expect(throws: PublishRefusal.busy(path: "live/open")) { try hub.publish(path) }
        first.end() // the old connection is gone (closed or idle-timed out)
        _ = try hub.publish(path) // the encoder's reconnect gets in
    }

    @Test func maxPublishersCountsNetworkPublishersOnly() throws {
        let hub = StreamHub()
        _ = try hub.publish(StreamPath(validating: "live/a"), credential: "k", maxPublishers: 1)
        _ = hub.publish(path: "live/a/720p") // the server's own: not counted
        #expect(throws: PublishRefusal.tooManyPublishers(limit: 1)) { try hub.publish(StreamPath(validating: "live/b"), maxPublishers: 1) }
        _ = try hub.publish(StreamPath(validating: "live/a"), credential: "k", maxPublishers: 1) // a takeover is no new publisher
    }

    @Test func theClaimEndsWithTheStream() throws {
        let hub = StreamHub()
        let p = try hub.publish(StreamPath(validating: "live/a"))
        p.end()
        _ = try hub.publish(StreamPath(validating: "live/a/source"))
    }

    @Test func pathsTheCompositionStillServesAreProtected() throws {
        let hub = StreamHub(pathsInUse: { ["live/ended"] })
        #expect(throws: PublishRefusal.self) { try hub.check(StreamPath(validating: "live/ended/source")) }
        #expect(throws: PublishRefusal.self) { try hub.publish(StreamPath(validating: "live/ended/source")) }
        _ = try hub.publish(StreamPath(validating: "live/ended"))
    }

    @Test func theServersOwnRenditionsAreNotClaims() throws {
        let hub = StreamHub()
        _ = try hub.publish(StreamPath(validating: "live/cam"), credential: "key")
        _ = hub.publish(path: "live/cam/720p") // the transcoder's rendition
        _ = try hub.publish(StreamPath(validating: "live/cam"), credential: "key") // a reconnecting encoder
        #expect(hub.paths == ["live/cam", "live/cam/720p"])
    }
}
