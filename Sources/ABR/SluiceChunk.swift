/// Sluice's chunk-level (VoD) policy; see Docs/ABR.md.
///
/// Model-predictive control over 10 chunks (RobustMPC: 5) on the real sizes of the coming chunks,
/// with the transmit-time predictor (first-byte latency + bytes / robust throughput), the buffer cap
/// modelled, and a value for the buffer left at the end of the plan so that the plan does not spend
/// the buffer it will need later. The plans searched have at most three runs ("level a for k
/// chunks, b for m, then c"), which keeps a 10-chunk horizon cheap (about 12,000 plans, not 6¹⁰).
public struct SluiceChunk: ChunkPolicy, Sendable {
    public let name = "sluice"
    // Tuned on shared/data/abr/train only (Docs/ABR.md).
    public var horizon = 10
    public var predictor = TransmitTimePredictor(window: 5, errorWindow: 5, errorWeight: 1)
    /// Rebuffering is priced above QoE_lin's 4.3/s in the plan: the prediction is a point estimate.
    public var rebufferPenalty = 10.0
    /// QoE_lin value of a second of buffer left at the end of the plan (below `bufferValueCap`).
    public var bufferValue = 0.1
    public var bufferValueCap = 20.0
    private var throughputs: [Double] = []
    private var firstByte = 0.0

    public init() {}

    public mutating func reset() {
        throughputs = []
        firstByte = 0
    }

    public mutating func next(_ c: ChunkContext) -> Int {
        let transfer = c.lastDownloadSeconds - c.lastFirstByteSeconds
        throughputs.append(c.lastBytes / max(transfer, 0.001))
        firstByte = c.lastFirstByteSeconds
        let bytesPerSecond = predictor.throughput(throughputs)
        let length = min(horizon, c.totalChunks - c.nextIndex)
        let levels = c.bitratesKbps.count
        guard length > 0, bytesPerSecond > 0 else { return 0 }
        // Download seconds per level and step, computed once.
        var download = [Double](repeating: 0, count: levels * length)
        for q in 0..<levels {
            for step in 0..<length {
                download[q * length + step] = firstByte + c.sizes.bytes(level: q, index: c.nextIndex + step) / bytesPerSecond
            }
        }
        let start = PlanState(buffer: c.bufferSeconds, score: 0, last: c.lastLevel)
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
                            let total = end.score + bufferValue * min(end.buffer, bufferValueCap)
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
        var buffer: Double
        var score: Double
        var last: Int
    }

    /// One chunk of a plan: QoE_lin with the plan's rebuffer price, the buffer capped.
    func advance(_ s: inout PlanState, level q: Int, step: Int, download: [Double], length: Int, _ c: ChunkContext) {
        let d = download[q * length + step]
        if s.buffer < d {
            s.score -= rebufferPenalty * (d - s.buffer)
            s.buffer = 0
        } else {
            s.buffer -= d
        }
        s.buffer = min(s.buffer + c.chunkSeconds, c.bufferCapSeconds)
        s.score += c.bitratesKbps[q] / 1000 - abs(c.bitratesKbps[q] - c.bitratesKbps[s.last]) / 1000
        s.last = q
    }
}
