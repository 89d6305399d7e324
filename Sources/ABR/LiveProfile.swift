/// A live network profile: throughput steps `[kbps, seconds]`, played once.
public struct LiveProfile: Sendable, Equatable {
    public var name: String
    public var steps: [(kbps: Double, seconds: Double)]

    public init(name: String, steps: [(kbps: Double, seconds: Double)]) {
        self.name = name
        self.steps = steps
    }

    public static func == (a: LiveProfile, b: LiveProfile) -> Bool {
        a.name == b.name && a.steps.map(\.kbps) == b.steps.map(\.kbps) && a.steps.map(\.seconds) == b.steps.map(\.seconds)
    }

    public var duration: Double { steps.reduce(0) { $0 + $1.seconds } }

    /// Throughput at time `t` and the time the current step ends (the last step lasts forever).
    public func rate(at t: Double) -> (kbps: Double, until: Double) {
        var end = 0.0
        for s in steps {
            end += s.seconds
            if t < end { return (s.kbps, end) }
        }
        return (steps.last?.kbps ?? 0, .infinity)
    }

    /// The five "normal network patterns" of the ACM MMSys 2020 Grand Challenge on low-latency live
    /// streaming (Twitch), as in shared/data/profiles/twitch-mmsys2020.json.
    public static let twitch: [LiveProfile] = [
        LiveProfile(name: "cascade", steps: [(1200, 30), (800, 30), (400, 30), (800, 30), (1200, 30)]),
        LiveProfile(name: "intra_cascade", steps: [(1000, 15), (800, 15), (600, 15), (400, 15), (200, 15), (400, 15),
                                                    (600, 15), (800, 15), (1000, 15)]),
        LiveProfile(name: "spike", steps: [(1200, 10), (300, 10), (800, 10)]),
        LiveProfile(name: "slow_jitters", steps: [(500, 5), (1200, 5), (500, 5), (1200, 5), (500, 5), (1200, 5)]),
        LiveProfile(name: "fast_jitters", steps: [(500, 0.25), (1200, 5), (500, 0.1), (1200, 1), (500, 0.25), (1200, 5)]),
    ]
    public static let twitchLadderKbps: [Double] = [200, 600, 1000]
}
