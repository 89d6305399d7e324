/// Sluice's live policy: a short model-predictive look-ahead over the renditions with the
/// transmit-time predictor, capped by the live edge, and a gentle catch-up rate.
///
/// A pure function of its `LiveInput` (plain Double arithmetic, levels scanned lowest first, ties
/// kept by the lower level), so the JavaScript port in the player decides exactly the same; see
/// Docs/ABR.md for the design and the constants.
public struct SluiceLive: LivePolicy, Sendable {
    public let name = "sluice"
    // Tuned on the train traces replayed as live profiles (Docs/ABR.md), not on the Twitch profiles.
    /// Parts looked ahead.
    public var horizon = 3
    public var predictor = TransmitTimePredictor(window: 5, errorWindow: 5, errorWeight: 0.25, stepUpRatio: 1.5)
    /// Buffer the plan must keep at its end, in parts; a shortfall costs what a stall does.
    public var reserveParts = 2.0
    /// ... and at least this fraction of the target latency: a latency-aware buffer target. With
    /// hls.js's LL-HLS target (3 parts of hold-back and more) two parts are a small share of the
    /// latency budget; in the simulator (0.5 s parts, 1.5 s target) two parts are more.
    public var reserveLatency = 0.5
    /// Cost of a second of reserve shortfall relative to a second of stall.
    public var reserveWeight = 1.0
    /// Catch up only when this far behind the target, seconds, and with this much buffer beyond the
    /// committed media (a part; hls.js: a segment).
    public var catchUpAboveSeconds = 1.0
    public var catchUpBufferSeconds = 0.5
    public var catchUpRate = 1.05
    /// Weight of the predicted first-byte latency in the download time.
    public var firstByteWeight = 1.0
    /// With a commitment of several parts (hls.js: a segment), every level is planned at no more
    /// than the harmonic mean of all the samples given (hls.js's controller passes 8 segments,
    /// about 8 s: the longer record), and a level above the current one at no more than this
    /// fraction of it: an up-switch must be paid for by the link's longer record, not by its last
    /// few segments (hls.js's own `abrBandWidthUpFactor` is 0.7); and the level must arrive in
    /// real time at that rate: no buffer is spent on going up.
    public var commitUpFactor = 0.8

    public init() {}

    public func decide(_ input: LiveInput) -> LiveDecision {
        LiveDecision(level: level(input), playbackRate: rate(input))
    }

    func level(_ input: LiveInput) -> Int {
        let count = input.bitratesKbps.count
        guard count > 1 else { return 0 }
        var kbps = predictor.throughputKbps(input.samples)
        guard kbps > 0 else { return 0 }
        // A commitment of several parts (hls.js: a segment) cannot be corrected part by part:
        // plan it at the slowest recent sample when that is lower.
        if input.commitParts > 1 {
            let slowest = predictor.slowestKbps(input.samples)
            if slowest > 0 && slowest < kbps { kbps = slowest }
        }
        let firstByte = firstByteWeight * predictor.firstByteMs(input.samples) / 1000
        let part = input.partSeconds
        let top = input.bitratesKbps[count - 1]
        let current = min(max(input.currentLevel, 0), count - 1)
        var best = 0
        var bestScore = -Double.greatestFiniteMagnitude
        // The level holds for the commitment (hls.js: a segment), at least the horizon.
        let steps = max(horizon, min(max(input.commitParts, 1), 64))
        var upKbps = kbps
        if input.commitParts > 1 {
            let long = predictor.longKbps(input.samples)
            if long > 0 && long < kbps { kbps = long }
            upKbps = min(kbps, commitUpFactor * long)
        }
        for level in 0..<count {
            let rate = input.bitratesKbps[level]
            let perPart = firstByte + rate * part / (level > current ? upKbps : kbps)
            // Committed to a segment, go up only to a level the longer record sustains without
            // spending buffer (hls.js's own rule, `abrBandWidthUpFactor`, has the same shape).
            if input.commitParts > 1 && level > current && perPart > part { continue }
            var buffer = input.bufferSeconds
            var edge = max(input.latencySeconds, buffer)
            var stall = 0.0
            for step in 0..<steps {
                var download = perPart
                if step == 0 && level != current { download += max(input.switchSeconds, 0) }
                if download > buffer {
                    stall += download - buffer
                    edge += download - buffer
                    buffer = 0
                } else {
                    buffer -= download
                }
                buffer = min(buffer + part, edge)
            }
            let reserve = max(reserveParts * part, reserveLatency * input.targetLatencySeconds)
            let shortfall = buffer < reserve ? reserve - buffer : 0
            let switchCost = 0.02 * abs(rate - input.bitratesKbps[current])
            let score = Double(steps) * part * rate - top * (stall + reserveWeight * shortfall) - switchCost
            if score > bestScore {
                bestScore = score
                best = level
            }
        }
        return best
    }

    func rate(_ input: LiveInput) -> Double {
        let behind = input.latencySeconds - input.targetLatencySeconds
        // With more than the committed media (hls.js: a segment) buffered beyond the margin.
        let committed = Double(min(max(input.commitParts, 1), 64)) * input.partSeconds
        if behind > catchUpAboveSeconds && input.bufferSeconds > committed + catchUpBufferSeconds {
            return catchUpRate
        }
        return 1
    }
}
