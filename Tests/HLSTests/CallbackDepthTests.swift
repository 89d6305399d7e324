import Foundation
import HLS
import MediaCore
import Synchronization
import Testing

/// The soak's finding: a handler kept as `Mutex<(closure)?>` gained two reabstraction thunks per
/// read, so the registry's demand handler, read on every playlist request, ran through a chain
/// that grew with every request until the event loops did nothing else. The call depth of a
/// handler must not change with the number of calls.
@Suite struct CallbackDepthTests {
    final class Depths: Sendable {
        let list = Mutex<[Int]>([])
        var values: [Int] { list.withLock { $0 } }
        func record() { list.withLock { $0.append(Thread.callStackReturnAddresses.count) } }
    }

    @Test func theDemandHandlerRunsAtTheSameDepthOnTheThousandthRequest() {
        let registry = HLSRegistry()
        let depths = Depths()
        registry.onDemand { _ in depths.record() }
        for _ in 0..<1_000 { registry.demand(playlist: "/live/show/index.m3u8") }
        #expect(depths.values.count == 2_000, "both stream paths a playlist may belong to")
        #expect(Set(depths.values).count == 1, "depth grew from \(depths.values.first ?? 0) to \(depths.values.last ?? 0)")
    }

    @Test func aCallbackSlotReadsBackTheSameClosureEveryTime() {
        let slot = CallbackSlot<Int>()
        let depths = Depths()
        #expect(slot.callback == nil)
        slot.set { _ in depths.record() }
        for i in 0..<1_000 { slot.callback?(i) }
        #expect(Set(depths.values).count == 1)
        slot.set(nil)
        #expect(slot.callback == nil)
    }
}
