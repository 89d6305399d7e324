/// RobustMPC as Pensieve's `test/mpc.py`: throughput = harmonic mean of the last 5 chunk rates divided
/// by (1 + the largest of the last 5 relative prediction errors); every plan of the next 5 chunks
/// (6⁵ of them) is played out on the buffer and scored with QoE_lin; the first step of the best is taken.
///
/// Two choices of the original are kept: chunk sizes are looked up one index ahead of the chunk being
/// chosen (`indexOffset` 1; 0 looks up the right chunk) and a later plan with an equal score wins.
public struct RobustMPC: ChunkPolicy, LivePolicy, Sendable {
    public let name = "robustmpc"
    public var horizon = 5
    public var indexOffset: Int
    public var rebufferPenalty = 4.3
    private var rates: [Double] = []
    private var errors: [Double] = []
    private var lastEstimate: Double?

    public init(indexOffset: Int = 1) {
        self.indexOffset = indexOffset
    }

    public mutating func reset() {
        rates = []
        errors = []
        lastEstimate = nil
    }

    /// Records a throughput sample (any unit) and returns the robust estimate in the same unit.
    mutating func observe(_ rate: Double) -> Double {
        errors.append(lastEstimate.map { abs($0 - rate) / rate } ?? 0)
        rates.append(rate)
        let recent = Array(rates.suffix(5))
        let harmonic = HarmonicMeanEstimator.harmonicMean(recent)
        let maxError = errors.suffix(5).max() ?? 0
        lastEstimate = harmonic
        return harmonic / (1 + maxError)
    }

    /// The first level of the best plan; `size(level, step)` bytes, `chunk` seconds.
    static func plan(levels: Int, horizon: Int, start: Int, buffer: Double, bytesPerSecond: Double, chunk: Double,
                     bitrates: [Double], rebufferPenalty: Double, size: (Int, Int) -> Double) -> Int {
        guard horizon > 0 else { return 0 }
        var combo = [Int](repeating: 0, count: horizon)
        var bestScore = -Double.greatestFiniteMagnitude
        var best = 0
        while true {
            var rebuffer = 0.0
            var b = buffer
            var bitrateSum = 0.0
            var smooth = 0.0
            var last = start
            for step in 0..<horizon {
                let q = combo[step]
                let download = size(q, step) / bytesPerSecond
                if b < download {
                    rebuffer += download - b
                    b = 0
                } else {
                    b -= download
                }
                b += chunk
                bitrateSum += bitrates[q]
                smooth += abs(bitrates[q] - bitrates[last])
                last = q
            }
            let score = bitrateSum / 1000 - rebufferPenalty * rebuffer - smooth / 1000
            if score >= bestScore {
                bestScore = score
                best = combo[0]
            }
            var i = horizon - 1
            while i >= 0 {
                combo[i] += 1
                if combo[i] < levels { break }
                combo[i] = 0
                i -= 1
            }
            if i < 0 { break }
        }
        return best
    }

    public mutating func next(_ c: ChunkContext) -> Int {
        // MB/s over the whole request, as state[3] in mpc.py.
        let future = observe(c.lastBytes / (c.lastDownloadSeconds * 1000) / 1000)
        let length = min(horizon, c.totalChunks - c.nextIndex)
        let first = c.nextIndex + indexOffset
        return Self.plan(levels: c.bitratesKbps.count, horizon: length, start: c.lastLevel, buffer: c.bufferSeconds,
                         bytesPerSecond: future * 1_000_000, chunk: c.chunkSeconds, bitrates: c.bitratesKbps,
                         rebufferPenalty: rebufferPenalty) { level, step in c.sizes.bytes(level: level, index: first + step) }
    }

    /// Live: the same controller per part with constant-bitrate part sizes and request-timed samples.
    public mutating func decide(_ input: LiveInput) -> LiveDecision {
        guard let last = input.samples.last else { return LiveDecision(level: 0, playbackRate: 1) }
        let future = observe(PartThroughput.requestKbps(last) * 1000 / 8)
        let part = input.partSeconds
        let level = Self.plan(levels: input.bitratesKbps.count, horizon: horizon, start: input.currentLevel,
                              buffer: input.bufferSeconds, bytesPerSecond: future, chunk: part, bitrates: input.bitratesKbps,
                              rebufferPenalty: rebufferPenalty * 4 / part) { level, _ in input.bitratesKbps[level] * 1000 / 8 * part }
        return LiveDecision(level: level, playbackRate: HlsjsLatencyRate.rate(input))
    }
}
