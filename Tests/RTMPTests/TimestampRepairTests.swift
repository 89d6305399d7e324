import Testing
@testable import RTMP

@Suite struct TimestampRepairTests {
    @Test func wellFormedInputPassesUnchanged() {
        var r = TimestampRepair()
        var out: [Int64] = []
        var expected: [Int64] = []
        for i in 0..<100 {
            out.append(r.repair(UInt32(1000 + i * 33), track: .video))
            out.append(r.repair(UInt32(1000 + i * 23), track: .audio))
            expected.append(Int64(1000 + i * 33))
            expected.append(Int64(1000 + i * 23))
        }
        #expect(out == expected)
        #expect(r.repairs == 0)
    }

    @Test func publisherRestartingAtZeroStaysContinuousAndInSync() {
        var r = TimestampRepair()
        var lastVideo: Int64 = 0, lastAudio: Int64 = 0
        for i in 0..<30 {
            lastVideo = r.repair(UInt32(50_000 + i * 33), track: .video)
            lastAudio = r.repair(UInt32(50_000 + i * 33), track: .audio)
        }
        let v = r.repair(0, track: .video)
        let a = r.repair(0, track: .audio)
        #expect(v == lastVideo + 33)
        #expect(a > lastAudio)
        #expect(a == v) // one offset for both tracks keeps them in sync
        #expect(r.repair(33, track: .video) == v + 33)
        #expect(r.repairs == 1)
    }

    @Test func forwardJumpIsClosed() {
        var r = TimestampRepair()
        _ = r.repair(0, track: .video)
        _ = r.repair(40, track: .video)
        #expect(r.repair(3_600_000, track: .video) == 80)
        #expect(r.repair(3_600_040, track: .video) == 120)
        #expect(r.repairs == 1)
    }

    @Test func smallStepBackIsClampedToMonotonic() {
        var r = TimestampRepair()
        _ = r.repair(100, track: .video)
        #expect(r.repair(90, track: .video) == 101)
        #expect(r.repair(100, track: .video) == 102) // equal DTS also moves forward
        #expect(r.repair(140, track: .video) == 140)
        #expect(r.repairs == 2)
    }

    @Test func thirtyTwoBitWrapIsNotAJump() {
        var r = TimestampRepair()
        _ = r.repair(0xFFFF_FFE0, track: .video)
        #expect(r.repair(0x0000_0010, track: .video) == 0xFFFF_FFE0 + 0x30)
        #expect(r.repairs == 0)
    }

    /// Finding 12: timestamps running backwards used to advance 1 ms per frame.
    @Test func descendingRunContinuesWithTheTypicalFrameDuration() {
        var r = TimestampRepair()
        for i in 0..<10 { _ = r.repair(UInt32(10_000 + i * 33), track: .video) }
        var out: [Int64] = []
        for i in 0..<600 { out.append(r.repair(UInt32(9_000 - i * 15), track: .video)) }
        #expect(zip(out, out.dropFirst()).allSatisfy { $1 - $0 == 33 })
        #expect(out[599] - out[0] == 599 * 33)
    }

    @Test func standingTimestampsContinueWithTheTypicalFrameDuration() {
        var r = TimestampRepair()
        for i in 0..<10 { _ = r.repair(UInt32(i * 23), track: .audio) }
        let first = r.repair(207, track: .audio) // repeated once: clamped
        #expect(first == 208)
        #expect(r.repair(207, track: .audio) == 231) // still standing: rebased
        #expect(r.repair(207, track: .audio) == 254)
        #expect(r.repair(230, track: .audio) == 277) // then its own spacing again
    }

    /// After a rebase, the new timestamps keep their spacing (here 40 ms, not the old 33).
    @Test func jumpBackKeepsTheSpacingOfTheNewTimestamps() {
        var r = TimestampRepair()
        for i in 0..<10 { _ = r.repair(UInt32(60_000 + i * 33), track: .video) }
        let rebased = r.repair(1_000, track: .video)
        #expect(rebased == 60_000 + 9 * 33 + 33)
        #expect(r.repair(1_040, track: .video) == rebased + 40)
        #expect(r.repair(1_080, track: .video) == rebased + 80)
    }

    /// Timestamps running backwards on one track do not drag the other track along.
    @Test func oneTracksRepairLeavesTheOtherTracksTimeline() {
        var r = TimestampRepair()
        var audio: [Int64] = []
        for i in 0..<200 {
            _ = r.repair(UInt32(max(0, 2_000 - i * 33)), track: .video)
            audio.append(r.repair(UInt32(i * 23), track: .audio))
        }
        #expect(audio == (0..<200).map { Int64($0 * 23) })
    }
}
