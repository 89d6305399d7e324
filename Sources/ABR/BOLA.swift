import Foundation

/// BOLA-BASIC with dash.js's parameters (BolaRule.js): utilities ln(bitrate) shifted so the lowest is
/// 1, a 10 s minimum buffer, buffer target max(12 s, 10 s + 2 s per level); each chunk takes the level
/// that maximises (Vp·(utility + gp) − buffer) / bitrate.
public struct BOLA: ChunkPolicy, LivePolicy, Sendable {
    public let name = "bola"
    public var minimumBufferSeconds = 10.0
    public var stableBufferSeconds = 12.0

    public init() {}

    public mutating func reset() {}

    static func choose(bitrates: [Double], buffer: Double, minimumBuffer: Double, bufferTarget: Double) -> Int {
        let u0 = log(bitrates[0])
        let utilities = bitrates.map { log($0) - u0 + 1 }
        let gp = (utilities[utilities.count - 1] - 1) / (bufferTarget / minimumBuffer - 1)
        let vp = minimumBuffer / gp
        var best = 0
        var bestScore = -Double.greatestFiniteMagnitude
        for i in bitrates.indices {
            let score = (vp * (utilities[i] + gp) - buffer) / bitrates[i]
            if score >= bestScore {
                bestScore = score
                best = i
            }
        }
        return best
    }

    public mutating func next(_ c: ChunkContext) -> Int {
        let target = max(stableBufferSeconds, minimumBufferSeconds + 2 * Double(c.bitratesKbps.count))
        return Self.choose(bitrates: c.bitratesKbps, buffer: c.bufferSeconds, minimumBuffer: minimumBufferSeconds,
                           bufferTarget: target)
    }

    /// Live: the same rule with the buffer target at the target latency (the buffer a live player can
    /// hold) and the minimum buffer in the same proportion as dash.js's defaults.
    public mutating func decide(_ input: LiveInput) -> LiveDecision {
        let target = max(stableBufferSeconds, minimumBufferSeconds + 2 * Double(input.bitratesKbps.count))
        let scale = input.targetLatencySeconds / target
        let level = Self.choose(bitrates: input.bitratesKbps, buffer: input.bufferSeconds,
                                minimumBuffer: minimumBufferSeconds * scale, bufferTarget: input.targetLatencySeconds)
        return LiveDecision(level: level, playbackRate: HlsjsLatencyRate.rate(input))
    }
}
