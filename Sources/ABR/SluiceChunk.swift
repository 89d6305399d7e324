/// Sluice's chunk-level (VoD) policy; see Docs/ABR.md.
///
/// Model-predictive control over 10 chunks (RobustMPC: 5) on the real sizes of the coming chunks.
/// Instead of one discounted throughput, a plan is played out under a few throughput scenarios —
/// the harmonic mean of the last 5 first-byte-timed rates times each of its last 3 relative
/// errors (actual / predicted), capped at 0.8 — and scored by its mean QoE_lin over them, with the
/// buffer cap modelled and a value for the buffer left at the end of the plan (almost none when the
/// plan reaches the end of the video). The plans searched have at most three runs ("level a for k
/// chunks, b for m, then c"): about 12,000 plans instead of 6¹⁰, each prefix played once.
/// Cost: about 1 ms per decision in a release build.
public struct SluiceChunk: ChunkPolicy, Sendable {
    public let name = "sluice"
    // Tuned on shared/data/abr/train only (Docs/ABR.md).
    public var horizon = 10
    /// Harmonic mean of this many first-byte-timed throughput samples.
    public var window = 5
    /// Scenarios: the relative errors of the harmonic mean on this many of the latest samples.
    public var scenarios = 3
    /// A scenario is never more optimistic than this fraction of the harmonic mean.
    public var scenarioMaxRatio = 0.8
    /// The only scenario before any error is known (after the first chunk).
    public var firstRatio = 2.0 / 3.0
    /// Rebuffering is priced above QoE_lin's 4.3/s in the plan.
    public var rebufferPenalty = 6.0
    /// QoE_lin value of a second of buffer left at the end of the plan (below `bufferValueCap`),
    /// and at the end of the video, where buffer left over is nearly worthless.
    public var bufferValue = 0.1
    public var bufferValueCap = 20.0
    public var endBufferValue = 0.02
    private var throughputs: [Double] = []
    private var firstByte = 0.0

    public init() {}

    public mutating func reset() {
        throughputs = []
        firstByte = 0
    }

    /// Throughput scenarios from samples (any unit, oldest first): the harmonic mean of the last
    /// `window` times each of the last `count` relative errors (actual / the harmonic mean of the
    /// `window` before it), capped at `cap`; `[mean × first]` before any error is known.
    public static func scenarioRates(_ samples: [Double], window: Int, count: Int, cap: Double, first: Double) -> [Double] {
        let n = samples.count
        guard n > 0 else { return [] }
        let now = HarmonicMeanEstimator.harmonicMean(Array(samples[max(0, n - window)..<n]))
        var ratios: [Double] = []
        var j = max(1, n - count)
        while j < n {
            let predicted = HarmonicMeanEstimator.harmonicMean(Array(samples[max(0, j - window)..<j]))
            ratios.append(min(samples[j] / predicted, cap))
            j += 1
        }
        if ratios.isEmpty { ratios = [first] }
        return ratios.map { now * $0 }
    }

    public mutating func next(_ c: ChunkContext) -> Int {
        let transfer = c.lastDownloadSeconds - c.lastFirstByteSeconds
        throughputs.append(c.lastBytes / max(transfer, 0.001))
        firstByte = c.lastFirstByteSeconds
        let rates = Self.scenarioRates(throughputs, window: window, count: scenarios, cap: scenarioMaxRatio,
                                       first: firstRatio)
        let length = min(horizon, c.totalChunks - c.nextIndex)
        let levels = c.bitratesKbps.count
        guard length > 0, !rates.isEmpty, rates.allSatisfy({ $0 > 0 }) else { return 0 }
        // Download seconds per scenario, level and step, computed once.
        let scenarioCount = rates.count
        var download = [Double](repeating: 0, count: scenarioCount * levels * length)
        for s in 0..<scenarioCount {
            for q in 0..<levels {
                for step in 0..<length {
                    download[(s * levels + q) * length + step] =
                        firstByte + c.sizes.bytes(level: q, index: c.nextIndex + step) / rates[s]
                }
            }
        }
        let endValue = c.nextIndex + length >= c.totalChunks ? endBufferValue : bufferValue
        let start = PlanState(buffers: [Double](repeating: c.bufferSeconds, count: scenarioCount), score: 0, last: c.lastLevel)
        var best = 0
        var bestScore = -Double.greatestFiniteMagnitude
        // Plans: level a for k chunks, level b for m chunks, level c to the horizon; each prefix
        // is played once and shared by the plans that extend it.
        for a in 0..<levels {
            var afterA = start
            for k in 1...length {
                advance(&afterA, level: a, step: k - 1, download: download, length: length, c)
                for b in 0..<levels {
                    var afterB = afterA
                    for m in 0...(length - k) {
                        if m > 0 { advance(&afterB, level: b, step: k + m - 1, download: download, length: length, c) }
                        guard m > 0 || b == 0 else { continue }
                        for cl in 0..<levels where k + m < length || cl == 0 {
                            var end = afterB
                            var step = k + m
                            while step < length {
                                advance(&end, level: cl, step: step, download: download, length: length, c)
                                step += 1
                            }
                            var left = 0.0
                            for buffer in end.buffers { left += min(buffer, bufferValueCap) }
                            let total = end.score + endValue * left / Double(scenarioCount)
                            if total > bestScore {
                                bestScore = total
                                best = a
                            }
                        }
                    }
                }
            }
        }
        return best
    }

    struct PlanState {
        /// Buffer per scenario.
        var buffers: [Double]
        var score: Double
        var last: Int
    }

    /// One chunk of a plan: QoE_lin with the plan's rebuffer price averaged over the scenarios,
    /// the buffer capped.
    func advance(_ s: inout PlanState, level q: Int, step: Int, download: [Double], length: Int, _ c: ChunkContext) {
        let levels = c.bitratesKbps.count
        var stall = 0.0
        for i in s.buffers.indices {
            let d = download[(i * levels + q) * length + step]
            var b = s.buffers[i]
            if b < d {
                stall += d - b
                b = 0
            } else {
                b -= d
            }
            s.buffers[i] = min(b + c.chunkSeconds, c.bufferCapSeconds)
        }
        s.score -= rebufferPenalty * stall / Double(s.buffers.count)
        s.score += c.bitratesKbps[q] / 1000 - abs(c.bitratesKbps[q] - c.bitratesKbps[s.last]) / 1000
        s.last = q
    }
}
