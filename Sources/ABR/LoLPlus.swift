import Foundation

/// dash.js's LoL+ (LoLpRule, LearningAbrController, LoLpWeightSelector, LoLpQoEEvaluator): a
/// self-organising map with one neuron per rendition over (throughput, latency, rebuffer, switch),
/// distance weights picked each segment from 5⁴ candidates by a one-step QoE, a buffer-low
/// down-shift, and dash.js's LoL+ playback-rate control (±0.5, buffer floor 0.5 s).
///
/// Kept from the original: a new weight selector each call (so its latency constraint never binds),
/// bitrates in bit/s passed where the QoE expects kbit/s. Changed: the k-means++ seed data comes from
/// a fixed-seed generator instead of Math.random, so runs repeat. Throughput is dash.js's "safe"
/// average: the mean of the last 3 first-byte-timed samples × 0.9.
public struct LoLPlus: LivePolicy, Sendable {
    public let name = "lolp"
    static let targetLatency = 1.5
    static let bufferMin = 0.3

    struct Neuron: Sendable {
        var bandwidth: Double
        var state: [Double]
    }

    private var neurons: [Neuron] = []
    private var normalization = 1.0
    private var minBitrate = 0.0
    private var weights: [Double]?
    private var sortedCenters: [[Double]] = []
    private var random = SplitMix64(seed: 42)
    static let weightOptions: [[Double]] = {
        let values = [0.2, 0.4, 0.6, 0.8, 1.0]
        var out: [[Double]] = []
        for a in values { for b in values { for c in values { for d in values { out.append([a, b, c, d]) } } } }
        return out
    }()

    public init() {}

    static func distance(_ a: [Double], _ b: [Double], _ w: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += w[i] * (a[i] - b[i]) * (a[i] - b[i]) }
        return (sum < 0 ? -1 : 1) * abs(sum).squareRoot()
    }

    private var maxThroughput: Double {
        var m = 0.0
        for n in neurons where n.state[0] > m { m = n.state[0] }
        return m
    }

    private mutating func setUp(_ bitratesBps: [Double]) {
        guard neurons.isEmpty else { return }
        minBitrate = bitratesBps.min() ?? 0
        normalization = bitratesBps.map { $0 * $0 }.reduce(0, +).squareRoot()
        neurons = bitratesBps.map { Neuron(bandwidth: $0, state: [$0 / normalization, 0, 0, 0]) }
        // k-means++ style centres over random points, sorted by similarity to the least similar one.
        let maxT = maxThroughput
        let data: [[Double]] = (0..<(neurons.count * neurons.count)).map { _ in
            [random.unit() * maxT, random.unit(), random.unit(), random.unit()]
        }
        let ones = [1.0, 1, 1, 1]
        var centers = [data[0]]
        for _ in 1..<neurons.count {
            var next = data[0]
            var maxDistance: Double?
            for p in data {
                var minDistance: Double?
                for c in centers {
                    let d = Self.distance(p, c, ones)
                    if minDistance == nil || d < minDistance! { minDistance = d }
                }
                if maxDistance == nil || minDistance! > maxDistance! {
                    next = p
                    maxDistance = minDistance
                }
            }
            centers.append(next)
        }
        var leastSimilar = 0
        var maxTotal: Double?
        for i in centers.indices {
            var total = 0.0
            for j in centers.indices where i != j { total += Self.distance(centers[i], centers[j], ones) }
            if maxTotal == nil || total > maxTotal! {
                maxTotal = total
                leastSimilar = i
            }
        }
        var sorted = [centers.remove(at: leastSimilar)]
        while !centers.isEmpty {
            var minIndex = 0
            var minDistance: Double?
            for i in centers.indices {
                let d = Self.distance(sorted[0], centers[i], ones)
                if minDistance == nil || d < minDistance! {
                    minDistance = d
                    minIndex = i
                }
            }
            sorted.append(centers.remove(at: minIndex))
        }
        sortedCenters = sorted
    }

    private mutating func update(winner: Int, _ x: [Double]) {
        let sigma = 0.1
        for i in neurons.indices {
            let d = Self.distance(neurons[i].state, neurons[winner].state, [1, 1, 1, 1])
            let h = exp(-(d * d) / (2 * sigma * sigma))
            for k in 0..<4 { neurons[i].state[k] += (x[k] - neurons[i].state[k]) * 0.01 * h }
        }
    }

    static func nextBuffer(_ buffer: Double, download: Double, segment: Double) -> Double {
        download > segment ? buffer - segment : buffer + segment - download
    }

    /// LoLpQoEEvaluator.calculateSingleUseQoe for one segment.
    static func singleQoE(bitrate: Double, rebuffer: Double, latency: Double, rate: Double, segment: Double,
                          maxKbps: Double, minKbps: Double) -> Double {
        let latencyPenalty = latency <= 1.1 ? minKbps * 0.05 : maxKbps * 0.1
        return segment * bitrate - maxKbps * rebuffer - latencyPenalty * latency - minKbps * abs(1 - rate)
    }

    func weightVector(segment: Double, latency: Double, buffer: Double, throughput: Double, rate: Double,
                      maxKbps: Double, minKbps: Double) -> [Double]? {
        var maxQoE: Double?
        var winner: [Double]?
        let deltaLatency = abs(latency - 0)
        for n in neurons {
            for w in Self.weightOptions {
                let download = n.bandwidth * segment / throughput
                let next = Self.nextBuffer(buffer, download: download, segment: segment)
                let rebuffer = max(0.00001, download - next)
                let weightedRebuffer = (1 / w[2]) * rebuffer
                let weightedLatency = (1 / w[1]) * n.state[1]
                let qoe = Self.singleQoE(bitrate: n.bandwidth, rebuffer: weightedRebuffer, latency: weightedLatency,
                                         rate: rate, segment: segment, maxKbps: maxKbps, minKbps: minKbps)
                let constraints = !(latency > Self.targetLatency + deltaLatency) && next >= Self.bufferMin
                if (maxQoE == nil || qoe > maxQoE!) && constraints {
                    maxQoE = qoe
                    winner = w
                }
            }
        }
        return winner
    }

    public mutating func decide(_ input: LiveInput) -> LiveDecision {
        let rate = Self.playbackRate(input)
        let recent = input.samples.suffix(3).map(PartThroughput.kbps)
        guard !recent.isEmpty else { return LiveDecision(level: 0, playbackRate: rate) }
        let throughput = recent.reduce(0, +) / Double(recent.count) * 0.9 * 1000
        let bitrates = input.bitratesKbps.map { $0 * 1000 }
        setUp(bitrates)
        let segment = input.partSeconds
        let current = min(max(input.currentLevel, 0), neurons.count - 1)
        var throughputNormalized = throughput / normalization
        if throughputNormalized > 1 { throughputNormalized = maxThroughput }
        let latency = input.latencySeconds / 100
        let download = neurons[current].bandwidth * segment / throughput
        let rebuffer = max(0, download - input.bufferSeconds)
        if input.bufferSeconds - download < Self.bufferMin {
            var best = current
            var maxSuitable = 0.0
            for (i, n) in neurons.enumerated()
            where n.bandwidth < neurons[current].bandwidth && n.bandwidth > maxSuitable && throughput > n.bandwidth {
                maxSuitable = n.bandwidth
                best = i
            }
            return LiveDecision(level: best, playbackRate: rate)
        }
        if weights == nil { weights = sortedCenters.last }
        let maxKbps = input.bitratesKbps.max() ?? 0
        let minKbps = input.bitratesKbps.min() ?? 0
        if let w = weightVector(segment: segment, latency: input.latencySeconds, buffer: input.bufferSeconds,
                                throughput: throughput, rate: input.samples.isEmpty ? 1 : rate, maxKbps: maxKbps, minKbps: minKbps) {
            weights = w
        }
        var winner = 0
        var minDistance: Double?
        for (i, n) in neurons.enumerated() {
            var w = weights ?? [1, 1, 1, 1]
            let next = Self.nextBuffer(input.bufferSeconds, download: n.bandwidth * segment / throughput, segment: segment)
            if n.bandwidth > throughput - 10_000 || next < Self.bufferMin {
                if n.bandwidth != minBitrate { w[0] = 100 }
            }
            let d = Self.distance(n.state, [throughputNormalized, 0, 0, 0], w)
            if minDistance == nil || d < minDistance! {
                minDistance = d
                winner = i
            }
        }
        let switchSize = abs(neurons[current].bandwidth - neurons[winner].bandwidth) / normalization
        update(winner: current, [throughputNormalized, latency, rebuffer, switchSize])
        update(winner: winner, [throughputNormalized, 0, 0, switchSize])
        return LiveDecision(level: winner, playbackRate: rate)
    }

    /// dash.js CatchupController `_calculateNewPlaybackRateLolP` with rates ±0.5 and a 0.5 s buffer floor.
    static func playbackRate(_ input: LiveInput) -> Double {
        let minRate = 0.5, maxRate = 0.5, bufferFloor = 0.5
        if input.bufferSeconds < bufferFloor {
            let d = (input.bufferSeconds - bufferFloor) * 5
            return (1 - minRate) + (minRate * 2) / (1 + exp(-d))
        }
        let target = input.targetLatencySeconds
        if abs(input.latencySeconds - target) <= 0.02 * target { return 1 }
        let delta = input.latencySeconds - target
        let cpr = delta < 0 ? minRate : maxRate
        return (1 - cpr) + (cpr * 2) / (1 + exp(-delta * 5))
    }
}

/// SplitMix64: a small fixed-seed generator, so LoL+'s random start is the same every run.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
