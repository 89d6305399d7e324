/// Sluice's chunk-level (VoD) policy; see Docs/ABR.md.
///
/// Model-predictive control over a longer horizon than RobustMPC, on the real sizes of the coming
/// chunks, with the transmit-time predictor (first-byte latency + bytes / robust throughput), the
/// buffer cap modelled, and a terminal value for the buffer left at the end of the plan so that a
/// short horizon does not spend the buffer it will need later.
public struct SluiceChunk: ChunkPolicy, Sendable {
    public let name = "sluice"
    public var horizon = 5
    public var predictor = TransmitTimePredictor(window: 5, errorWindow: 5, errorWeight: 1)
    public var rebufferPenalty = 4.3
    /// QoE_lin value of a second of buffer left at the end of the plan (below `bufferValueCap`).
    public var bufferValue = 0.0
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
        var combo = [Int](repeating: 0, count: length)
        var best = 0
        var bestScore = -Double.greatestFiniteMagnitude
        while true {
            var b = c.bufferSeconds
            var score = 0.0
            var last = c.lastLevel
            for step in 0..<length {
                let q = combo[step]
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
            score += bufferValue * min(b, bufferValueCap)
            if score > bestScore {
                bestScore = score
                best = combo[0]
            }
            var i = length - 1
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
}
