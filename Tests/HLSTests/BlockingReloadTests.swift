import HLS
import MediaCore
import NIOCore
import Testing
import TestSupport

/// Blocking playlist reload (rfc8216bis 6.2.5.2) on the pure decision, then on a live
/// rendition driven by a manual clock.
@Suite struct BlockingReloadTests {
    @Test func partWithoutMsnIsRejected() {
        #expect(PlaylistRequest.parse(["_HLS_part": "1"]) == nil)
        #expect(PlaylistRequest.parse(["_HLS_msn": "-1"]) == nil)
        #expect(PlaylistRequest.parse(["_HLS_msn": "x"]) == nil)
        #expect(PlaylistRequest.parse(["_HLS_msn": "3", "_HLS_part": "1", "_HLS_skip": "YES"]) == PlaylistRequest(msn: 3, part: 1, skip: true))
        #expect(PlaylistRequest.parse(["_HLS_skip": "v2"]) == PlaylistRequest(skip: true))
    }

    @Test func msnMoreThanTwoAheadIsRejected() {
        let t = Fixtures.timeline(segments: 3) // msn 0...2, 2 open
        #expect(PlaylistRequest(msn: 4).decide(t) == .wait)
        guard case .badRequest = PlaylistRequest(msn: 5).decide(t) else {
            Issue.record("msn 5 with last msn 2 must be 400")
            return
        }
    }

    @Test func partBeyondTheAdvancePartLimitIsRejected() {
        let t = Fixtures.timeline(segments: 3) // latest: msn 2 part 3
        #expect(PlaylistRequest(msn: 2, part: 6).decide(t) == .wait)
        guard case .badRequest = PlaylistRequest(msn: 2, part: 7).decide(t) else {
            Issue.record("part 7 with last part 3 must be 400")
            return
        }
    }

    /// Found by Fuzz/ (fuzz-http): `_HLS_part=Int.max` of the next segment trapped on `n + 1`.
    @Test func hugePartOfTheNextSegmentIsRejectedNotATrap() {
        let t = Fixtures.timeline(segments: 3) // latest: msn 2 part 3
        guard case .badRequest = PlaylistRequest(msn: 3, part: .max).decide(t) else {
            Issue.record("part Int.max of msn 3 must be 400")
            return
        }
        #expect(PlaylistRequest(msn: 3, part: 2).decide(t) == .wait)
        #expect(PlaylistRequest.parse(["_HLS_msn": "3", "_HLS_part": "9223372036854775807"])?.decide(t) != .ready)
    }

    @Test func presentPartAnswersAtOnceAndTheNextPartWaits() {
        let t = Fixtures.timeline(segments: 3)
        #expect(PlaylistRequest(msn: 2, part: 3).decide(t) == .ready)
        #expect(PlaylistRequest(msn: 1, part: 9).decide(t) == .ready) // beyond msn 1's parts: part 0 of 2 exists
        #expect(PlaylistRequest(msn: 2, part: 4).decide(t) == .wait)
        #expect(PlaylistRequest(msn: 3, part: 0).decide(t) == .wait)
    }

    @Test func msnOnlyWaitsForPartZeroOfThatSegment() {
        var t = Fixtures.timeline(segments: 3)
        #expect(PlaylistRequest(msn: 3).decide(t) == .wait)
        t.add(Fixtures.cut(first: true, at: t.nextPartID))
        #expect(PlaylistRequest(msn: 3).decide(t) == .ready) // Safari: part 0 is enough
    }

    @Test func endlistIgnoresDirectives() {
        var t = Fixtures.timeline(segments: 3)
        t.end()
        #expect(PlaylistRequest(msn: 4, part: 2).decide(t) == .ready)
        #expect(PlaylistRequest(msn: 99).decide(t) == .ready)
    }

    /// A rendition fed synthetic parts through its timeline is not possible from outside, so
    /// these drive a real rendition with real media.
    static let media = TestMedia.fourSeconds

    @Test func heldRequestIsAnsweredWhenThePartLandsAndSharesTheRenderedPlaylist() async throws {
        let clock = ManualClock()
        let stream = HLSStream(path: "live/block", clock: clock)
        let r = try stream.rendition(name: "src", tracks: Self.media.tracks)
        var units = Self.media.units[...]
        // Feed until two parts exist.
        while r.timeline.nextPartID < 2, let u = units.popFirst() { try r.write(u) }
        let latest = try #require(r.timeline.latest)
        let next = PlaylistRequest(msn: latest.msn, part: latest.part + 1)
        let waiters = 20
        async let answers: [HLSResponse<PlaylistBody>] = withTaskGroup(of: HLSResponse<PlaylistBody>.self) { group in
            for _ in 0..<waiters { group.addTask { await r.playlist(next) } }
            var all: [HLSResponse<PlaylistBody>] = []
            for await a in group { all.append(a) }
            return all
        }
        // Wait (bounded) until every request is held, then land one more part.
        for _ in 0..<500 where await stream.heldRequests() < waiters { try await Task.sleep(for: .milliseconds(2)) }
        #expect(await stream.heldRequests() == waiters)
        let before = r.timeline.nextPartID
        while r.timeline.nextPartID == before, let u = units.popFirst() { try r.write(u) }
        let bodies = await answers.compactMap { a -> PlaylistBody? in if case .ok(let b) = a { b } else { nil } }
        #expect(bodies.count == waiters)
        #expect(bodies.allSatisfy { $0 === bodies[0] }) // rendered once, shared
        #expect(bodies[0].text.contains("URI=\"part\(before).m4s\""))
        stream.end()
    }

    @Test func unsatisfiedRequestAnswers503AfterThreeTargetDurations() async throws {
        let clock = ManualClock()
        let stream = HLSStream(path: "live/timeout", clock: clock)
        let r = try stream.rendition(name: "src", tracks: Self.media.tracks)
        for u in Self.media.units.prefix(40) { try r.write(u) }
        let latest = try #require(r.timeline.latest)
        async let answer = r.playlist(PlaylistRequest(msn: latest.msn + 1))
        for _ in 0..<500 where await stream.heldRequests() < 1 { try await Task.sleep(for: .milliseconds(2)) }
        clock.advance(by: .milliseconds(5900))
        stream.expireWaiters()
        #expect(await stream.heldRequests() == 1) // not yet: 6 s is the limit
        clock.advance(by: .milliseconds(200))
        stream.expireWaiters()
        guard case .unavailable = await answer else {
            Issue.record("expected 503")
            return
        }
        stream.end()
    }

    @Test func hintedPartIsHeldAndAnythingBeyondIs404() async throws {
        let stream = HLSStream(path: "live/hint", clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: Self.media.tracks)
        var units = Self.media.units[...]
        while r.timeline.nextPartID < 1, let u = units.popFirst() { try r.write(u) }
        let hinted = r.timeline.nextPartID
        guard case .notFound = await r.part(id: hinted + 1) else {
            Issue.record("a part beyond the hint must be 404")
            return
        }
        async let held = r.part(id: hinted)
        for _ in 0..<500 where await stream.heldRequests() < 1 { try await Task.sleep(for: .milliseconds(2)) }
        while r.timeline.nextPartID == hinted, let u = units.popFirst() { try r.write(u) }
        guard case .ok(let bytes) = await held else {
            Issue.record("the hinted part must arrive")
            return
        }
        #expect(bytes == r.timeline.part(id: hinted)?.data)
        stream.end()
    }

    @Test func endAnswersEveryHeldRequest() async throws {
        let stream = HLSStream(path: "live/end", clock: ManualClock())
        let r = try stream.rendition(name: "src", tracks: Self.media.tracks)
        for u in Self.media.units.prefix(40) { try r.write(u) }
        let latest = try #require(r.timeline.latest)
        async let answer = r.playlist(PlaylistRequest(msn: latest.msn + 2))
        for _ in 0..<500 where await stream.heldRequests() < 1 { try await Task.sleep(for: .milliseconds(2)) }
        stream.end()
        guard case .ok(let body) = await answer else {
            Issue.record("end must answer held requests with the final playlist")
            return
        }
        #expect(body.text.hasSuffix("#EXT-X-ENDLIST\n"))
    }
}

extension HLSStream {
    /// Requests currently held, summed over renditions (async so tests can poll it).
    func heldRequests() async -> Int { allRenditions.reduce(0) { $0 + $1.heldRequestCount } }
}
