/// Sluice's chunk-level (VoD) policy; see Docs/ABR.md.
///
/// Model-predictive control over 10 chunks (RobustMPC: 5) on the real sizes of the coming chunks,
/// with the transmit-time predictor (first-byte latency + bytes / robust throughput), the buffer cap
/// modelled, and a value for the buffer left at the end of the plan so that the plan does not spend
/// the buffer it will need later. The plans searched are "level a for k chunks, then level b"
/// (6 × 6 × 10), which keeps a 10-chunk horizon cheap.
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
    /// When above 0: score each plan under each of the last `scenarios` throughputs (and the robust
    /// estimate) and average, instead of under the robust estimate alone.
    public var scenarios = 0
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
        var rates = [bytesPerSecond]
        if scenarios > 0 { rates += throughputs.suffix(scenarios) }
        var best = 0
        var bestScore = -Double.greatestFiniteMagnitude
        // Plans: level a for k chunks, then level b to the horizon (k = length: no switch).
        for a in 0..<levels {
            for b in 0..<levels {
                for k in 1...length where k < length || a == b {
                  var total = 0.0
                  for bytesPerSecond in rates {
                    var bb = c.bufferSeconds
                    var score = 0.0
                    var last = c.lastLevel
                    for step in 0..<length {
                        let q = step < k ? a : b
                        let download = firstByte + c.sizes.bytes(level: q, index: c.nextIndex + step) / bytesPerSecond
                        if bb < download {
                            score -= rebufferPenalty * (download - bb)
                            bb = 0
                        } else {
                            bb -= download
                        }
                        bb = min(bb + c.chunkSeconds, c.bufferCapSeconds)
                        score += c.bitratesKbps[q] / 1000 - abs(c.bitratesKbps[q] - c.bitratesKbps[last]) / 1000
                        last = q
                    }
                    score += bufferValue * min(bb, bufferValueCap)
                    total += score
                  }
                    if total > bestScore {
                        bestScore = total
                        best = a
                    }
                }
            }
        }
        return best
    }
}
