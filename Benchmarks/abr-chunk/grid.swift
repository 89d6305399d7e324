import Foundation
let sim = ChunkSimulator()
let train = try Trace.loadFolder(ProcessInfo.processInfo.environment["TRAIN"] ?? "../shared/data/abr/train")
let nor = train.filter { !$0.name.contains("trace_") }
let fcc = train.filter { $0.name.contains("trace_") }
let nor4 = nor.flatMap { t in [0.0, 0.25, 0.5, 0.75].map { rotate(t, $0) } }
func mean<P: ChunkPolicy>(_ p: inout P, _ ts: [Trace]) -> ChunkScore {
    ChunkScore.mean(ts.map { ChunkScore(chunks: sim.run(&p, on: $0), bitratesKbps: sim.bitratesKbps, chunkSeconds: 4) })
}
// each argument: h,w,n,cap,pen,bv  (horizon, window, scenarios, cap, rebuffer penalty, buffer value)
for arg in CommandLine.arguments.dropFirst() {
    let f = arg.split(separator: ",").map { Double($0)! }
    var p = SluiceChunk()
    p.horizon = Int(f[0]); p.window = Int(f[1]); p.scenarios = Int(f[2]); p.scenarioMaxRatio = f[3]; p.rebufferPenalty = f[4]; p.bufferValue = f[5]
    let a = mean(&p, nor), b = mean(&p, nor4), c = mean(&p, fcc)
    print(String(format: "%@  nor %.4f  nor4 %.4f (br %.0f rebuf %.2f%%)  fcc %.4f", arg, a.qoeLin, b.qoeLin, b.bitrateKbps, b.rebufferRatio*100, c.qoeLin))
    fflush(stdout)
}
