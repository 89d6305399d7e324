// Sluice's own controller, for a host selling live: the viewer must never wait on a queue, and the
// picture should come back to full quality quickly once the link does. Docs/RateControl.md.

import Foundation

/// Queue delay is measured, not inferred: the age of the oldest byte still ours minus the minimum
/// RTT (what is merely in flight), and the RTT's rise over its minimum.
/// - Over `highMs` (or > 10 % loss): cut at once to the delivery rate less what drains the standing
///   queue within `drainSeconds` (never below half of it), at most once per min RTT + 50 ms.
/// - Between `lowMs` and `highMs` (or > 2 % loss), growing, while sending faster than delivery:
///   trim to the same drain target. Between `freezeMs` and `lowMs`: stop growing.
/// - Clear: after `holdSeconds` without congestion, return within about a second to 92 % of the
///   rate the path delivered at the last congestion (the known-good ceiling), creep at 5 %/s up
///   to it, then probe with a gain that starts at 8 %/s and doubles every 0.7 s up to 40 %/s, so a
///   link that grew is found in a few seconds while one that did not is only nudged.
/// - When the path carries less than the floor: half frame rate, then reduced resolution, each
///   lowering the floor (0.7×, 0.5× the minimum); back up one step after 2 s clear above 1.3× it.
/// - A local queue over the latency budget: drop to the next keyframe (at most once a second).
struct SluicePolicy: Sendable {
    static let freezeMs = 15.0
    static let lowMs = 40.0
    static let highMs = 100.0
    static let drainSeconds = 1.0
    static let holdSeconds = 0.5
    static let recoverySeconds = 0.5
    static let creepGainPerSecond = 0.05
    static let probeFraction = 1.0
    static let probeStartGain = 0.08
    static let probeDoublingSeconds = 0.7
    static let probeMaxGain = 0.40
    static let ceilingFraction = 0.92

    let range: RateRange
    let latencyBudgetMs: Double
    var rate: Double
    var step = QualityStep.full
    var meter = DeliveryMeter(window: 2.0)
    var rttMins: [(time: Double, rtt: Double)] = []
    var lastCongestion = -Double.infinity
    var lastCut = -Double.infinity
    var lastStepChange = -Double.infinity
    var lastKeyframeDrop = -Double.infinity
    var clearSince: Double?
    var probeSince: Double?
    var ceilingKbps: Double?
    var lastTime: Double?
    var prevDelayMs = 0.0
    var sentLog: [(time: Double, total: Int)] = []

    init(range: RateRange, latencyBudgetMs: Double) {
        self.range = range
        self.latencyBudgetMs = latencyBudgetMs
        rate = range.startKbps
    }

    var floorKbps: Double {
        switch step {
        case .full: range.minKbps
        case .halfFrameRate: range.minKbps * 0.7
        case .reducedResolution: range.minKbps * 0.5
        }
    }

    /// Windowed minimum RTT over the last 10 s (1 s buckets), so a route change upwards is learnt.
    private mutating func noteRtt(_ rtt: Double, now: Double) -> Double {
        if let lastBucket = rttMins.last, now - lastBucket.time < 1 {
            rttMins[rttMins.count - 1].rtt = min(lastBucket.rtt, rtt)
        } else {
            rttMins.append((now, rtt))
        }
        rttMins.removeAll { now - $0.time > 10 }
        return rttMins.map(\.rtt).min() ?? rtt
    }

    mutating func update(_ sample: LinkSample, now: Double) -> RateDecision {
        let dt = min(max(now - (lastTime ?? now), 0), 1)
        lastTime = now
        meter.add(sample, now: now)
        // The freshest delivery rate: what the path carries right now when a queue stands.
        let delivered = meter.rateKbps(span: 0.1, minSpan: 0.04) ?? sample.deliveryRateKbps ?? rate
        let minRtt = sample.rttMs.map { noteRtt($0, now: now) }
        let rttRise = zip2(sample.rttMs, minRtt).map { max(0, $0 - $1) } ?? 0
        // The queue's delay is the age of its oldest byte: when the bytes still ours were handed
        // over, from the log of the running total. Unlike bytes ÷ rate this holds when the
        // encoder, not the link, sets the pace (a keyframe on a fast link is not a queue).
        // Minus the minimum RTT: unacknowledged bytes are merely in flight.
        let longRate = meter.rateKbps(span: 1.0, minSpan: 0.5)
        sentLog.append((now, sample.sentBytesTotal))
        while let first = sentLog.first, now - first.time > 5 { sentLog.removeFirst() }
        let headPosition = sample.sentBytesTotal - sample.queuedBytes
        let headAgeMs: Double
        if sample.queuedBytes <= 0 {
            headAgeMs = 0
        } else if let handed = sentLog.first(where: { $0.total > headPosition }) {
            headAgeMs = (now - handed.time) * 1000
        } else {
            headAgeMs = 5000
        }
        let bytesDelay = meter.coveredSpan >= 0.5 ? max(0, headAgeMs - (minRtt ?? 0)) : 0
        let delay = max(bytesDelay, rttRise, 0)
        let loss = sample.lossRate ?? 0
        let cutInterval = max(0.15, ((minRtt ?? 100) + 50) / 1000)

        var dropToKeyframe = false
        let localMs = sample.queuedMs ?? headAgeMs
        if localMs > latencyBudgetMs, now - lastKeyframeDrop >= 1 {
            dropToKeyframe = true
            lastKeyframeDrop = now
        }
        // Send below delivery by what empties the standing queue within `drainSeconds`.
        let drainTarget = delivered * max(0.5, 1 - delay / 1000 / Self.drainSeconds)

        if delay > Self.highMs || loss > 0.10 {
            clearSince = nil
            probeSince = nil
            lastCongestion = now
            if now - lastCut >= cutInterval {
                lastCut = now
                ceilingKbps = max(delivered, meter.rateKbps(span: 1.0, minSpan: 0.5) ?? 0)
                let target = min(drainTarget, rate * (1 - min(loss, 0.5) / 2))
                if target < rate { rate = target }
                // The path carries less than the floor itself: give up frame rate, then size.
                if max(delivered, longRate ?? 0) < floorKbps { stepDown(now: now) }
            }
        } else if delay > Self.lowMs || loss > 0.02 {
            clearSince = nil
            probeSince = nil
            lastCongestion = now
            if rate > delivered * 1.02, delay > prevDelayMs, now - lastCut >= cutInterval {
                lastCut = now
                ceilingKbps = max(delivered, meter.rateKbps(span: 1.0, minSpan: 0.5) ?? 0)
                rate = min(rate, drainTarget)
            }
        } else if delay > Self.freezeMs {
            // A queue is starting: stop growing before it matters, no cut yet.
            probeSince = nil
        } else {
            if clearSince == nil { clearSince = now }
            if now - lastCongestion >= Self.holdSeconds {
                let ceiling = ceilingKbps ?? 0
                var next: Double
                if rate < ceiling * Self.ceilingFraction {
                    // Fast recovery to the known-good rate.
                    // Fast recovery to the known-good rate: most of the way within a second.
                    let goal = ceiling * Self.ceilingFraction
                    next = min(rate + max(goal * 1.05 - rate, 0) * min(1, dt / Self.recoverySeconds), goal)
                    probeSince = nil
                } else if rate < ceiling * Self.probeFraction {
                    // Close to where the queue last built: only nudge.
                    next = rate * (1 + Self.creepGainPerSecond * dt)
                    probeSince = nil
                } else {
                    // Past the old ceiling with no queue: the link grew; find it quickly.
                    if probeSince == nil { probeSince = now }
                    let elapsed = now - (probeSince ?? now)
                    let gain = min(Self.probeMaxGain, Self.probeStartGain * pow(2, elapsed / Self.probeDoublingSeconds))
                    next = rate * (1 + gain * dt)
                }
                // Never run far ahead of what the path has shown it carries.
                // An encoder that does not fill its target (a simple picture) teaches nothing about
                // the link: hold rather than raise a target nobody uses.
                if let used = longRate, used < rate * 0.7 { next = rate }
                rate = next
            }
            if step != .full, let since = clearSince, now - since >= 2, now - lastStepChange >= 2,
               rate >= floorKbps * 1.3 {
                step = step == .reducedResolution ? .halfFrameRate : .full
                lastStepChange = now
            }
        }
        prevDelayMs = delay
        rate = min(max(rate, floorKbps), range.maxKbps)
        return RateDecision(bitrateKbps: Int(rate.rounded()), step: step, dropToKeyframe: dropToKeyframe)
    }

    private mutating func stepDown(now: Double) {
        guard now - lastStepChange >= 1 else { return }
        switch step {
        case .full: step = .halfFrameRate
        case .halfFrameRate: step = .reducedResolution
        case .reducedResolution: return
        }
        lastStepChange = now
    }
}

private func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}
