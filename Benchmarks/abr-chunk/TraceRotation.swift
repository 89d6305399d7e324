import Foundation

/// The trace started at `frac` of its samples and wrapped round (sample 0 is the origin):
/// four rotations of each Norway trace make the tuning set less dependent on where a trace starts.
func rotate(_ t: Trace, _ frac: Double) -> Trace {
    let n = t.times.count
    let k = max(1, Int(Double(n) * frac))
    if frac == 0 { return t }
    var deltas: [Double] = [0]
    for i in 1..<n { deltas.append(t.times[i] - t.times[i-1]) }
    var times: [Double] = [0]; var mbps: [Double] = [t.mbps[k]]
    var idx = k + 1
    for _ in 1..<n {
        if idx >= n { idx = 1 }
        times.append(times.last! + deltas[idx]); mbps.append(t.mbps[idx]); idx += 1
    }
    return Trace(name: t.name, times: times, mbps: mbps)
}
