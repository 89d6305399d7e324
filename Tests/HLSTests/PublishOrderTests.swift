import Dispatch
import Foundation
@testable import HLS
import Logging
import MediaCore
import NIOCore
import Synchronization
import Testing
import TestSupport

/// A rung's encoder and the audio thread write the same rendition: a part cut first must be
/// published first, whichever thread gets to publish.
@Suite struct PublishOrderTests {
    static let media = TestMedia.fourSeconds

    static func rendition(afterCut: (@Sendable () -> Void)? = nil) -> HLSRendition {
        let configuration = HLSConfiguration()
        return HLSRendition(name: "src", tracks: media.tracks, isSource: true, configuration: configuration,
                            clock: ManualClock(), board: RenditionReportBoard(), logger: Logger(label: "test"),
                            afterCut: afterCut)
    }

    /// Thread A cuts the first part; between its cut and its publish, thread B writes the next
    /// units until it publishes a part itself (or, with cut and publish one step, until its
    /// first write gets the lock after A). The parts must come out as one writer cuts them.
    @Test func aPartCutFirstIsPublishedFirstWithTwoWriters() throws {
        let units = Self.media.units
        let reference = Self.rendition()
        for u in units { try reference.write(u) }

        final class Shared: Sendable {
            let next = Atomic<Int>(0) // index of the next unit to write
            let hooked = Atomic<Bool>(false)
            let bDone = DispatchSemaphore(value: 0)
            let bFinished = Atomic<Bool>(false)
            let rendition = Mutex<HLSRendition?>(nil)
        }
        let shared = Shared()
        let r = Self.rendition(afterCut: {
            guard !shared.hooked.exchange(true, ordering: .relaxed) else { return }
            let r = shared.rendition.withLock { $0 }!
            let thread = Thread {
                let before = r.timeline.nextPartID
                for _ in 0..<300 {
                    let i = shared.next.load(ordering: .relaxed)
                    guard i < units.count else { break }
                    shared.next.store(i + 1, ordering: .relaxed)
                    try! r.write(units[i])
                    if r.timeline.nextPartID > before { break }
                }
                shared.bFinished.store(true, ordering: .relaxed)
                shared.bDone.signal()
            }
            thread.start()
            // With cut and publish in one step, B waits for A's lock: give up after a second.
            _ = shared.bDone.wait(timeout: .now() + 1)
        })
        shared.rendition.withLock { $0 = r }
        var waitedForB = false
        while true {
            let i = shared.next.load(ordering: .relaxed)
            guard i < units.count else { break }
            shared.next.store(i + 1, ordering: .relaxed)
            try r.write(units[i])
            if shared.hooked.load(ordering: .relaxed) && !waitedForB {
                // B's writes end before A writes on, so the units still go in in order.
                waitedForB = true
                for _ in 0..<1000 where !shared.bFinished.load(ordering: .relaxed) { usleep(10_000) }
                let finished = shared.bFinished.load(ordering: .relaxed)
                #expect(finished)
            }
        }
        r.end()
        reference.end()
        let got = r.timeline.segments.flatMap(\.parts).map(\.data)
        let want = reference.timeline.segments.flatMap(\.parts).map(\.data)
        let hooked = shared.hooked.load(ordering: .relaxed)
        #expect(hooked)
        #expect(got.count == want.count)
        #expect(got == want, "parts published in the order they were cut")
    }
}
