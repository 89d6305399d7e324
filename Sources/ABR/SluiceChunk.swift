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
        var best = 0
        var bestScore = -Double.greatestFiniteMagnitude
        // Plans: level a for k chunks, level b for m chunks, level c to the horizon.
        var plan = [Int](repeating: 0, count: length)
        for a in 0..<levels {
            for k in 1...length {
                for b in 0..<levels {
                    for m in 0...(length - k) where (m > 0 || b == 0) {
                        for cl in 0..<levels where (k + m < length || cl == 0) {
                            for step in 0..<length { plan[step] = step < k ? a : (step < k + m ? b : cl) }
                            let total = score(plan, c, bytesPerSecond: bytesPerSecond)
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

    /// QoE_lin of a plan under one throughput, plus the value of the buffer it leaves.
    func score(_ plan: [Int], _ c: ChunkContext, bytesPerSecond: Double) -> Double {
        var b = c.bufferSeconds
        var score = 0.0
        var last = c.lastLevel
        for step in plan.indices {
            let q = plan[step]
            let download = firstByte + c.sizes.bytes(level: q, index: c.nextIndex + step) / bytesPerSecond
            if b < download {
                score -= rebufferPenalty * (download - b)
                b = 0
            } else {
                b -= download
            }
            b = min(b + c.chunkSeconds, c.bufferCapSeconds)
            score += c.bitratesKbps[q] / 1000 - abs(c.bitratesKbps[q] - c.bitratesKbps[last]) / 1000
            last = q
        }
        return score + bufferValue * min(b, bufferValueCap)
    }
}
