import Foundation

struct Recorder<P: ChunkPolicy>: ChunkPolicy {
    var inner: P
    var samples: [Double] = []
    var name: String { inner.name }
    mutating func reset() { inner.reset(); samples = [] }
    mutating func next(_ c: ChunkContext) -> Int {
        let tr = c.lastDownloadSeconds - c.lastFirstByteSeconds
        samples.append(c.lastBytes * 8 / 1e6 / max(tr, 0.001))
        return inner.next(c)
    }
}
struct RandomWalk: ChunkPolicy {
    let name = "rw"; var state: UInt64 = 1; var seed: UInt64 = 1
    mutating func reset() { state = seed }
    mutating func next(_ c: ChunkContext) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let r = Int((state >> 33) % 3) - 1
        return min(max(c.lastLevel + r, 0), 5)
    }
}

let sim = ChunkSimulator()
func score<P: ChunkPolicy>(_ p: inout P, _ traces: [Trace]) -> ChunkScore {
    ChunkScore.mean(traces.map { ChunkScore(chunks: sim.run(&p, on: $0), bitratesKbps: sim.bitratesKbps, chunkSeconds: 4) })
}
func learn(_ traces: [Trace], bins: Int, ratio: Double, history: Int, first: Double) -> ChunkThroughputModel {
    var m = ChunkThroughputModel(firstEdgeMbps: first, ratio: ratio, bins: bins, history: history, volatilityEdges: vol, volatilityWindow: vwin)
    for tr in traces {
        for f in [0.0, 0.25, 0.5, 0.75] {
            let t = rotate(tr, f)
            var r1 = Recorder(inner: SluiceChunk()); _ = sim.run(&r1, on: t); m.add(r1.samples)
            for seed in 1...3 as ClosedRange<UInt64> {
                var r2 = Recorder(inner: RandomWalk(seed: seed)); _ = sim.run(&r2, on: t); m.add(r2.samples)
            }
        }
    }
    return m
}

let args = CommandLine.arguments
let train = try Trace.loadFolder(ProcessInfo.processInfo.environment["TRAIN"] ?? "../shared/data/abr/train")
let env = ProcessInfo.processInfo.environment
let bins = Int(env["BINS"] ?? "23")!, ratio = Double(env["RATIO"] ?? "1.25")!, hist = Int(env["HIST"] ?? "1")!
let vol = (env["VOL"] ?? "").split(separator: ",").compactMap { Double($0) }
let vwin = Int(env["VWIN"] ?? "4")!
let first = Double(env["FIRST"] ?? "0.1")!
let prior = Double(env["PRIOR"] ?? "2")!, price = Double(env["PRICE"] ?? "4.3")!
let mode = args.count > 1 ? args[1] : "cv"
if mode == "base" {
    var s = SluiceChunk(); print("sluice train", score(&s, train).qoeLin)
    exit(0)
}
// 2-fold CV on train: alternate traces.
let a = train.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
let b = train.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
var all: [ChunkScore] = []
var fcc: [Double] = [], nor: [Double] = []
for (fit, evalSet) in (mode == "in" ? [(train, train)] : [(a, b), (b, a)]) {
    let m = learn(fit, bins: bins, ratio: ratio, history: hist, first: first)
    var p = SluiceDP(model: m); p.prior = prior; p.rebufferPrice = price
    for t in evalSet {
        let s = ChunkScore(chunks: sim.run(&p, on: t), bitratesKbps: sim.bitratesKbps, chunkSeconds: 4)
        all.append(s)
        if t.name.contains("trace_") { fcc.append(s.qoeLin) } else { nor.append(s.qoeLin) }
    }
}
let m = ChunkScore.mean(all)
print("vol", vol, "vwin", vwin, terminator: " ")
print(String(format: "CV bins %d ratio %.2f hist %d prior %.1f price %.2f: lin %.4f fcc %.4f nor %.4f br %.0f rebuf %.2f%% sw %.1f", bins, ratio, hist, prior, price, m.qoeLin, fcc.reduce(0,+)/Double(fcc.count), nor.reduce(0,+)/Double(nor.count), m.bitrateKbps, m.rebufferRatio*100, m.switches))
