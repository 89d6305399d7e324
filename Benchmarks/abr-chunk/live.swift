import Foundation
let sim = LiveSimulator(bitratesKbps: LiveProfile.twitchLadderKbps, partSeconds: Double(CommandLine.arguments.dropFirst().first ?? "0.5")!, targetLatencySeconds: 1.5)
for name in Policies.liveNames {
    var line = name.padding(toLength: 10, withPad: " ", startingAt: 0)
    var sum = 0.0, lat = 0.0, st = 0.0
    for profile in LiveProfile.twitch {
        var p = Policies.live(name)!
        let r = sim.run(&p, on: profile)
        line += String(format: " %@ %.0f", profile.name, r.nqoe); sum += r.nqoe; lat += r.meanLatencySeconds; st += r.stallSeconds
    }
    print(line + String(format: "  mean %.0f lat %.2f stall %.2f", sum / 5, lat / 5, st / 5))
}
