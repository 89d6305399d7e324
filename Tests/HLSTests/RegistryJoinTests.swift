import HLS
import MediaCore
import Synchronization
import Testing
import TestSupport

/// Requests held for a path that is not live: woken by a first part, bounded, ended by endAll.
@Suite struct RegistryJoinTests {
    final class Answers: Sendable {
        let list = Mutex<[Bool]>([])
        var values: [Bool] { list.withLock { $0 } }
        func record(_ v: Bool) { list.withLock { $0.append(v) } }
    }

    @Test func aFirstPartWakesHeldRequestsAndEndAllAnswersTheRest() throws {
        let registry = HLSRegistry(joinWait: .seconds(60), maxJoinWaiters: 2)
        let answers = Answers()
        let later = ContinuousClock.now + .seconds(60)
        #expect(registry.waitForMedia(since: registry.mediaGeneration, until: later, answers.record))
        #expect(registry.waitForMedia(since: registry.mediaGeneration, until: later, answers.record))
        #expect(!registry.waitForMedia(since: registry.mediaGeneration, until: later, answers.record), "over the cap")
        let stale = registry.mediaGeneration
        let r = try registry.stream(path: "live/now").rendition(name: "src", tracks: SegmenterTests.media.tracks)
        for u in SegmenterTests.media.units.prefix(60) { try r.write(u) }
        #expect(answers.values == [true, true], "the first part wakes every held request")
        #expect(registry.heldJoinCount == 0)
        // A request that checked before the first part is not held at all: it looks again at once.
        #expect(registry.waitForMedia(since: stale, until: later, answers.record))
        #expect(answers.values == [true, true, true])

        #expect(registry.waitForMedia(since: registry.mediaGeneration, until: later, answers.record))
        registry.endAll()
        #expect(answers.values == [true, true, true, false], "shutdown answers held requests")
        #expect(r.isEnded, "and ends every stream")
        #expect(!registry.waitForMedia(since: registry.mediaGeneration, until: later, answers.record), "none held after endAll")
    }
}
