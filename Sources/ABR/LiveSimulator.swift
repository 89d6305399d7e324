/// The low-latency live mode of the simulator. Part n covers media [n·p, (n+1)·p) and exists from
/// wall time (n+1)·p; the player joins at t = 0 one target latency behind the edge, requests each part
/// when it exists (a blocking request: the wait is its time to first byte), downloads it over the
/// profile's throughput, and plays at the rate its policy chose, stalling when the buffer runs dry.
/// Latency = wall time − playhead. Each part is scored with the challenge's NQoE:
/// p·R − β·E − γ·L − σ·|1−P| − μ·|ΔR| with β = max bitrate, γ = 0.005 (L ≤ 1.1 s) or 0.01,
/// σ = min bitrate when P ≠ 1, μ = 0.02 (R in kbit/s, E stall seconds, L latency s, P rate).
public struct LiveSimulator: Sendable {
    public var bitratesKbps: [Double]
    public var partSeconds: Double
    public var targetLatencySeconds: Double
    /// Samples the player keeps for its policy.
    public var sampleWindow = 8

    public init(bitratesKbps: [Double] = LiveProfile.twitchLadderKbps, partSeconds: Double = 0.5, targetLatencySeconds: Double = 1.5) {
        self.bitratesKbps = bitratesKbps
        self.partSeconds = partSeconds
        self.targetLatencySeconds = targetLatencySeconds
    }

    public struct Result: Sendable, Equatable {
        public var nqoe = 0.0
        public var parts = 0
        public var meanBitrateKbps = 0.0
        public var meanLatencySeconds = 0.0
        public var stalls = 0
        public var stallSeconds = 0.0
        public var speedChanges = 0
        public var switches = 0

        public init() {}
    }

    /// Playback over one interval: returns the stall seconds inside it.
    struct Player {
        var started = false
        var stalled = false
        var buffer = 0.0
        var playhead = 0.0
        var rate = 1.0
        var stalls = 0

        mutating func advance(_ dt: Double) -> Double {
            guard started, dt > 0 else { return 0 }
            let need = dt * rate
            if buffer >= need {
                buffer -= need
                playhead += need
                return 0
            }
            let playing = buffer / rate
            playhead += buffer
            buffer = 0
            if !stalled {
                stalled = true
                stalls += 1
            }
            return dt - playing
        }

        mutating func add(_ seconds: Double) {
            buffer += seconds
            stalled = false
            started = true
        }
    }

    /// Seconds to move `bits` over the profile starting at `t`.
    static func transfer(bits: Double, from t: Double, profile: LiveProfile) -> Double {
        var left = bits
        var now = t
        while true {
            let (kbps, until) = profile.rate(at: now)
            let bps = kbps * 1000
            if bps > 0 {
                let need = left / bps
                if now + need <= until { return now + need - t }
                left -= (until - now) * bps
            }
            if until == .infinity { return .infinity }
            now = until
        }
    }

    public func run(_ policy: inout some LivePolicy, on profile: LiveProfile) -> Result {
        let p = partSeconds
        let end = profile.duration
        var next = Int((-targetLatencySeconds / p).rounded(.down))
        var player = Player()
        player.playhead = Double(next) * p
        var t = 0.0
        var level = 0
        var lastKbps: Double?
        var samples: [DownloadSample] = []
        var result = Result()
        var latencySum = 0.0
        var lastRate = 1.0
        let maxKbps = bitratesKbps.max() ?? 0
        let minKbps = bitratesKbps.min() ?? 0
        while t < end {
            let latency = t - player.playhead
            let input = LiveInput(bitratesKbps: bitratesKbps, currentLevel: level, bufferSeconds: player.buffer,
                                  latencySeconds: latency, targetLatencySeconds: targetLatencySeconds, partSeconds: p,
                                  samples: samples)
            let decision = policy.decide(input)
            level = min(max(decision.level, 0), bitratesKbps.count - 1)
            let rate = min(max(decision.playbackRate, 0.5), 2)
            if player.started && rate != lastRate { result.speedChanges += 1 }
            lastRate = rate
            player.rate = rate
            // Wait for the part to exist, then fetch it.
            let available = Double(next + 1) * p
            let wait = max(0, available - t)
            var stall = player.advance(wait)
            t += wait
            let kbps = bitratesKbps[level]
            let seconds = Self.transfer(bits: kbps * 1000 * p, from: t, profile: profile)
            guard seconds.isFinite else { break }
            stall += player.advance(seconds)
            t += seconds
            player.add(p)
            next += 1
            samples.append(DownloadSample(bytes: kbps * 1000 * p / 8, firstByteMs: wait * 1000, transferMs: seconds * 1000,
                                          mediaSeconds: p))
            if samples.count > sampleWindow { samples.removeFirst() }
            let l = t - player.playhead
            let gamma = l <= 1.1 ? 0.005 : 0.01
            var q = p * kbps - maxKbps * stall - gamma * l - (rate != 1 ? minKbps * abs(1 - rate) : 0)
            if let lastKbps {
                q -= 0.02 * abs(kbps - lastKbps)
                if kbps != lastKbps { result.switches += 1 }
            }
            lastKbps = kbps
            result.nqoe += q
            result.parts += 1
            result.meanBitrateKbps += kbps
            result.stallSeconds += stall
            latencySum += l
        }
        if result.parts > 0 {
            result.meanBitrateKbps /= Double(result.parts)
            result.meanLatencySeconds = latencySum / Double(result.parts)
        }
        result.stalls = player.stalls
        return result
    }
}
