import StreamHub
import Testing
@testable import Uplink

/// The sender's queue holds at most the latency budget of media, then drops to the next keyframe.
@Suite struct SendBudgetPolicyTests {
    static func video(_ ms: Int64, key: Bool = false, bytes: Int = 1000) -> UplinkUnit {
        UplinkUnit(kind: .video, pts: ms * 1000, dts: ms * 1000, duration: 33_000, isKeyframe: key, data: [UInt8](repeating: 0, count: bytes))
    }

    static func audio(_ ms: Int64) -> UplinkUnit {
        UplinkUnit(kind: .audio, pts: ms * 1000, dts: ms * 1000, duration: 21_000, isKeyframe: true, data: [1, 2, 3])
    }

    @Test func withinTheBudgetEverythingQueues() {
        let queue = HandOffQueue(policy: SendBudgetPolicy(budgetMicros: 500_000))
        for i in 0..<15 { #expect(queue.push(Self.video(Int64(i) * 33, key: i == 0))) }
        #expect(queue.count == 15)
        #expect(queue.withPolicy { $0.bytes } == 15_000)
        #expect(queue.withPolicy { $0.queuedMicros } == 14 * 33_000)
        #expect(queue.withPolicy { $0.droppedVideoFrames } == 0)
    }

    @Test func overTheBudgetItDropsToTheNextKeyframe() {
        let queue = HandOffQueue(policy: SendBudgetPolicy(budgetMicros: 300_000))
        // 0…297 ms queue; at 330 ms the span passes 300 ms: the ten queued frames go, and so does
        // every frame (and nothing else) until the keyframe at 495 ms.
        for i in 0..<10 { #expect(queue.push(Self.video(Int64(i) * 33, key: i == 0))) }
        #expect(queue.push(Self.audio(300)))
        #expect(!queue.push(Self.video(330)))
        #expect(queue.count == 0)
        #expect(queue.withPolicy { $0.droppedVideoFrames } == 11)
        #expect(queue.withPolicy { $0.droppedAudioFrames } == 1)
        #expect(!queue.push(Self.video(363)))
        #expect(queue.push(Self.audio(370)), "audio is not held for a keyframe")
        #expect(queue.push(Self.video(495, key: true)))
        #expect(queue.push(Self.video(528)))
        #expect(queue.withPolicy { $0.droppedVideoFrames } == 12)
        #expect(queue.withPolicy { $0.bytes } == 2003)
        let first = queue.pop(timeout: .zero)
        #expect(first?.kind == .audio)
        #expect(queue.pop(timeout: .zero)?.isKeyframe == true)
    }

    @Test func aKeyframeThatOverflowsStartsTheQueueAfresh() {
        let queue = HandOffQueue(policy: SendBudgetPolicy(budgetMicros: 100_000))
        for i in 0..<4 { #expect(queue.push(Self.video(Int64(i) * 33, key: i == 0))) }
        #expect(queue.push(Self.video(200, key: true)))
        #expect(queue.count == 1)
        #expect(queue.withPolicy { $0.droppedVideoFrames } == 4)
        #expect(queue.pop(timeout: .zero)?.dts == 200_000)
        #expect(queue.withPolicy { $0.queuedMicros } == 0)
    }
}
