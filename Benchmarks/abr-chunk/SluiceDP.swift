import Foundation

/// Stochastic dynamic programming over the whole video: the value of every (chunk, buffer, last level,
/// throughput state) under a Markov model of the measured chunk rate learnt on training traces
/// (`ChunkThroughputModel`), solved backwards once per video; each decision is the one-step lookahead
/// on that value. The objective is QoE_lin itself (rebuffering priced `rebufferPrice`).
public struct SluiceDP: ChunkPolicy, Sendable {
    public let name = "sluicedp"
    public var model: ChunkThroughputModel
    public var prior = 2.0
    public var rebufferPrice = 4.3
    public var bufferStep = 0.25
    private var samples: [Double] = []
    private var table: Table?

    struct Table: Sendable {
        var key: [Double]
        var buffers: Int
        var levels: Int
        var bins: Int
        var states: Int
        /// `value[((t * buffers + b) * levels + l) * states + s]`, t from 0 to totalChunks.
        var value: [Float]
        var probabilities: [Double]
        var secondsPerMbit: [Double]
    }

    public init(model: ChunkThroughputModel) {
        self.model = model
    }

    public mutating func reset() {
        samples = []
    }

    public mutating func next(_ c: ChunkContext) -> Int {
        let transfer = c.lastDownloadSeconds - c.lastFirstByteSeconds
        samples.append(c.lastBytes * 8 / 1e6 / max(transfer, 0.001))
        guard let s = model.state(samples), c.nextIndex < c.totalChunks else { return 0 }
        let key = Self.key(c)
        if table?.key != key { table = build(c) }
        guard let t = table else { return 0 }
        var best = 0
        var bestValue = -Double.greatestFiniteMagnitude
        for q in 0..<t.levels {
            let v = lookahead(t, c, index: c.nextIndex, buffer: c.bufferSeconds, state: s, level: q)
                + reward(c.bitratesKbps, q, c.lastLevel)
            if v > bestValue {
                bestValue = v
                best = q
            }
        }
        return best
    }

    static func key(_ c: ChunkContext) -> [Double] {
        [c.chunkSeconds, c.bufferCapSeconds, Double(c.totalChunks), c.lastFirstByteSeconds] + c.bitratesKbps
            + c.sizes.levels.flatMap { $0.prefix(c.totalChunks) }
    }

    func reward(_ kbps: [Double], _ q: Int, _ last: Int) -> Double {
        kbps[q] / 1000 - abs(kbps[q] - kbps[last]) / 1000
    }

    /// Expected (over the next rate) stall cost plus the value after downloading chunk `index` at `level`.
    func lookahead(_ t: Table, _ c: ChunkContext, index: Int, buffer: Double, state s: Int, level q: Int) -> Double {
        let mbit = c.sizes.bytes(level: q, index: index) * 8 / 1e6
        let bins = t.bins
        var total = 0.0
        for n in 0..<bins {
            let p = t.probabilities[s * bins + n]
            guard p > 1e-6 else { continue }
            let d = c.lastFirstByteSeconds + mbit * t.secondsPerMbit[n]
            let stall = max(d - buffer, 0)
            let after = min(max(buffer - d, 0) + c.chunkSeconds, c.bufferCapSeconds)
            let nextState = model.nextState(s, next: n)
            total += p * (-rebufferPrice * stall + value(t, index + 1, after, q, nextState))
        }
        return total
    }

    func value(_ t: Table, _ index: Int, _ buffer: Double, _ level: Int, _ state: Int) -> Double {
        let f = min(max(buffer / bufferStep, 0), Double(t.buffers - 1))
        let i = min(Int(f), t.buffers - 2)
        let w = f - Double(i)
        let a = t.value[((index * t.buffers + i) * t.levels + level) * t.states + state]
        let b = t.value[((index * t.buffers + i + 1) * t.levels + level) * t.states + state]
        return Double(a) + w * Double(b - a)
    }

    func build(_ c: ChunkContext) -> Table {
        let levels = c.bitratesKbps.count
        let buffers = Int((c.bufferCapSeconds / bufferStep).rounded(.up)) + 1
        let states = model.states
        var t = Table(key: Self.key(c), buffers: buffers, levels: levels, bins: model.bins, states: states,
                      value: [Float](repeating: 0, count: (c.totalChunks + 1) * buffers * levels * states),
                      probabilities: model.probabilities(prior: prior), secondsPerMbit: model.secondsPerMbit)
        var w = [Double](repeating: 0, count: levels)
        for index in stride(from: c.totalChunks - 1, through: 0, by: -1) {
            for bi in 0..<buffers {
                let buffer = Double(bi) * bufferStep
                for s in 0..<states {
                    for q in 0..<levels { w[q] = lookahead(t, c, index: index, buffer: buffer, state: s, level: q) }
                    for l in 0..<levels {
                        var best = -Double.greatestFiniteMagnitude
                        for q in 0..<levels { best = max(best, w[q] + reward(c.bitratesKbps, q, l)) }
                        t.value[((index * buffers + bi) * levels + l) * states + s] = Float(best)
                    }
                }
            }
        }
        return t
    }
}
