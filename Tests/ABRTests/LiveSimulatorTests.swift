import ABR
import Testing

@Suite struct LiveSimulatorTests {
    /// 200 kbit/s parts of 0.5 s over 1000 kbit/s: 0.1 s each, no stall; the player joins 1.5 s behind
    /// and the first part takes 0.1 s, so latency is 1.6 s throughout: NQoE per part 0.5 × 200 − 0.01 × 1.6.
    @Test func aSteadyLinkGivesSteadyLatencyAndNoStall() {
        var fixed = FixedLevel(level: 0)
        let profile = LiveProfile(name: "flat", steps: [(1000, 10)])
        let r = LiveSimulator().run(&fixed, on: profile)
        #expect(r.stalls == 0 && r.stallSeconds == 0 && r.speedChanges == 0 && r.switches == 0)
        #expect(abs(r.meanLatencySeconds - 1.6) < 1e-9)
        #expect(abs(r.nqoe - Double(r.parts) * (100 - 0.016)) < 1e-6)
        #expect(r.parts == 23)  // parts −3…19: the last one starts before 10 s
    }

    /// 1000 kbit/s parts over 400 kbit/s take 1.25 s for 0.5 s of media: the player stalls.
    @Test func aTooHighLevelStallsAndLatencyGrows() {
        var fixed = FixedLevel(level: 2)
        let r = LiveSimulator().run(&fixed, on: LiveProfile(name: "narrow", steps: [(400, 20)]))
        #expect(r.stalls > 0 && r.stallSeconds > 5)
        #expect(r.meanLatencySeconds > 3)
    }

    @Test func twitchProfilesMatchTheChallenge() {
        #expect(LiveProfile.twitch.map(\.name) == ["cascade", "intra_cascade", "spike", "slow_jitters", "fast_jitters"])
        #expect(LiveProfile.twitch.map(\.duration) == [150, 135, 30, 30, 11.6])
    }
}
