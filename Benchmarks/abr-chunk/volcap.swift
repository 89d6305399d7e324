import Foundation
let sim = ChunkSimulator()
let train = try Trace.loadFolder(ProcessInfo.processInfo.environment["TRAIN"] ?? "../shared/data/abr/train")
let nor = train.filter { !$0.name.contains("trace_") }
let fcc = train.filter { $0.name.contains("trace_") }
struct Vol: ChunkPolicy {
    var inner = SluiceChunk()
    var samples: [Double] = []
    var theta: Double, low: Double, high: Double, win: Int
    var name: String { "v" }
    mutating func reset() { inner.reset(); samples = [] }
    mutating func next(_ c: ChunkContext) -> Int {
        samples.append(c.lastBytes / max(c.lastDownloadSeconds - c.lastFirstByteSeconds, 0.001))
        var t = 0.0, n = 0, j = samples.count - 1
        while j >= 1 && n < win { t += abs(log(samples[j] / samples[j-1])); n += 1; j -= 1 }
        let v = n > 0 ? t / Double(n) : 0
        inner.scenarioMaxRatio = v > theta ? low : high
        return inner.next(c)
    }
}
func mean<P: ChunkPolicy>(_ p: inout P, _ ts: [Trace]) -> ChunkScore {
    ChunkScore.mean(ts.map { ChunkScore(chunks: sim.run(&p, on: $0), bitratesKbps: sim.bitratesKbps, chunkSeconds: 4) })
}
if CommandLine.arguments.count == 1 {
  // volatility distribution per set, from sluice's own samples
  for (nm, set) in [("fcc", fcc), ("nor", nor)] {
    var vs: [Double] = []
    for tr in set { var p = Vol(theta: 9, low: 0.8, high: 0.8, win: 1000); _ = sim.run(&p, on: tr)
      var t = 0.0; for j in 1..<p.samples.count { t += abs(log(p.samples[j]/p.samples[j-1])) }; vs.append(t / Double(p.samples.count - 1)) }
    vs.sort(); print(nm, [0.1,0.25,0.5,0.75,0.9].map { String(format: "%.3f", vs[Int(Double(vs.count-1)*$0)]) })
  }
  exit(0)
}
for arg in CommandLine.arguments.dropFirst() {
    let f = arg.split(separator: ",").map { Double($0)! }
    var p = Vol(theta: f[0], low: f[1], high: f[2], win: Int(f[3]))
    let a = mean(&p, nor), c = mean(&p, fcc)
    print(String(format: "%@  nor %.4f fcc %.4f train %.4f", arg, a.qoeLin, c.qoeLin, (a.qoeLin*68+c.qoeLin*59)/127))
    fflush(stdout)
}
