// Sluice's own controller, for a host selling live: the viewer must never wait on a queue, and the
// picture should come back to full quality quickly once the link does. Docs/RateControl.md.

import Foundation

/// Hold at what the path delivers; probe rarely, briefly and boundedly; drain after.
///
/// - The *standing queue* is the smallest queue delay of the last `standingWindow` seconds (the
///   age of the oldest byte still ours minus the minimum RTT, or the RTT's rise over its minimum,
///   whichever is larger): a frame's burst or a keyframe passes through the minimum, a queue that
///   stays does not.
/// - The *path rate* is what was delivered (acknowledged) while a queue stood: then the path, not
///   the encoder, set the pace.
/// - `cruise`: send `cruiseFraction` of the path rate and hold. Every `probeEvery` seconds of a
///   clear link (`probeEveryAfterFailure` after one that found nothing), `probe`: `probeGain`
///   more for about a second. If the standing queue rises by
///   `probeRiseMs` the link has not grown: the path rate is what it delivered meanwhile, and
///   `drain` sends a little below it until the queue is gone, then `cruise` again — a ripple of a
///   few per cent, not a sawtooth. If it does not rise, the link carried it: keep the new rate and
///   probe again at once with four times the gain (up to `probeMaxGain`), so a link that grew 2.5× is
///   found in ~3 s.
/// - A standing queue over `highMs`, an instant one over `spikeMs`, or > 10 % loss: cut at once
///   to the delivered rate less what drains the queue within `drainSeconds` (at most halving it),
///   at most once per min RTT + 50 ms.
/// - Decisions are about the wire; the encoder's target is the wanted wire rate ÷ the measured
///   overhead (sent ÷ target over 3 s: audio, MPEG-TS, headers, x264's own error).
/// - x264 follows a raised target with a lag, and a simple picture may not fill it at all: a
///   probe is judged only once the encoder really sends its rate (for at least the probe's
///   length, at most `maxProbeSeconds`); one the encoder never filled keeps its rate but does not
///   escalate. Nothing is judged in the first `warmUpSeconds` (the encoder's start).
/// - When the path carries less than the floor: half frame rate, then reduced resolution, each
///   lowering the floor (0.7×, 0.5× the minimum); back up one step after 2 s clear above 1.3× it.
/// - A local queue over the latency budget: drop to the next keyframe (at most once a second).
struct SluicePolicy: Sendable {
    static let standingWindow = 0.3
    /// How far back a burst of ours (a keyframe) can explain the queue: a GOP.
    static let burstSeconds = 2.0
    static let freezeMs = 15.0
    static let lowMs = 40.0
    static let highMs = 90.0
    static let spikeMs = 250.0
    static let drainSeconds = 1.0
    static let cruiseFraction = 0.96
    static let probeEvery = 1.5
    /// After a probe that found nothing: the link is steady, probe less often.
    static let probeEveryAfterFailure = 2.5
    /// Under 1/9: a probe that fails and returns to its base moves the rate by less than the 10 %
    /// that counts as a reversal.
    static let probeGain = 0.08
    static let probeMaxGain = 0.6
    /// A probe that shows growth is followed by one `escalation` times larger (8 → 32 → 60 %),
    /// each at most `maxStepOverTaken` times what the far end took over the last 0.5 s. (×3 and
    /// 1.5× were tried against the measured overshoot at 0.6 → 1.0: on the realistic simulator
    /// they slowed the recoveries by ~1 s, 12 seeds; the overshoot is bounded in `failProbe`.)
    static let escalation = 4.0
    static let maxStepOverTaken = 2.0
    /// Over the standing queue's average before the probe: above the frame bursts and the RTT's
    /// scheduling noise of a busy host, well below what a probe of +8 % builds in a second.
    static let probeRiseMs = 20.0
    /// After a probe the link carried without showing growth: the next one comes this soon.
    static let probeEveryAfterCarried = 0.5
    /// A probe escalates only if the far end took at least this much more than the best rate the
    /// path was known to carry: on a steady link a probe the link absorbed shows no growth.
    static let growthMargin = 1.02
    /// The shorter window over which what the far end took during a probe may show growth.
    static let growthSpanSeconds = 0.5
    /// Send loss (smoothed over `lossSeconds`) is congestion only with a standing queue of at least
    /// `lossQueueMs`: radio loss comes without one, and a drop-tail bottleneck loses only when full.
    static let lossSeconds = 0.5
    static let lossQueueMs = 15.0
    /// A probe of gain g lasts `probeSecondsAtBaseGain × probeGain / g`, at least `minProbeSeconds`:
    /// a larger excess shows sooner.
    static let probeSecondsAtBaseGain = 1.2 * 0.07 / 0.08
    static let minProbeSeconds = 0.4
    static let maxProbeSeconds = 3.0
    static let warmUpSeconds = 2.0
    /// x264 under a 0.25 s VBV puts 85–95 % of its target out on a simple picture; below that the
    /// picture (or a starved CPU) is the limit, and a target that far above the wire would burst
    /// into the queue the moment the picture gets busy.
    static let minOverhead = 0.85
    /// The overhead is learnt only while the target has been within ±this for `overheadSeconds`
    /// (x264 follows a raise over a second or more; mid-ramp, sent ÷ target says nothing).
    static let steadyTargetBand = 0.05
    static let maxOverhead = 1.5
    static let overheadSeconds = 3.0

    enum Mode: Sendable, Equatable { case cruise, probe, drain }

    let range: RateRange
    let latencyBudgetMs: Double
    /// What we want on the wire (kbit/s); the encoder's target is this ÷ `overhead`.
    var rate: Double
    var mode = Mode.probe
    var modeSince = 0.0
    var gain = SluicePolicy.probeGain
    var probeStartStanding = 0.0
    var pathKbps: Double?
    var probeRate = 0.0
    var probeBase = 0.0
    /// Wire kbit/s handed over in the second before the probe began.
    var probeStartSent: Double?
    var probeStartSentShort: Double?
    var lossAverage = 0.0
    /// The standing queue averaged over ~1 s: the baseline a probe is judged against.
    var standingAverage = 0.0
    var lastProbeCarried = false
    var lastProbeFailed = false
    /// Wire kbit/s per target kbit/s: audio, the container (MPEG-TS costs 10–25 %), the
    /// transport's headers and retransmissions, an encoder that overshoots. Not below 0.95: an
    /// encoder that undershoots (a starved CPU, a still picture) may fill its target any moment.
    var overhead = 1.0
    var targets: [(time: Double, kbps: Double)] = []
    var startTime = 0.0
    var lastUpdate: Double?
    var step = QualityStep.full
    var meter = DeliveryMeter(window: 2.0)
    var rttMins: [(time: Double, rtt: Double)] = []
    var delays: [(time: Double, ms: Double)] = []
    var lastCut = -Double.infinity
    var lastStepChange = -Double.infinity
    var lastKeyframeDrop = -Double.infinity
    var clearSince: Double?
    var sentLog: [(time: Double, total: Int)] = []
    var started = false

    init(range: RateRange, latencyBudgetMs: Double) {
        self.range = range
        self.latencyBudgetMs = latencyBudgetMs
        rate = range.startKbps
        // The start is a probe of the start rate: one that queues fails back to it, not to 0
        // (which the floor turned into the minimum: the measured RTMP run sat at 300 kbit/s for
        // 5 s from its first queue at 2 s).
        probeBase = rate
        probeRate = rate
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

    private mutating func enter(_ m: Mode, _ now: Double) {
        mode = m
        modeSince = now
    }

    mutating func update(_ sample: LinkSample, now: Double) -> RateDecision {
        if !started {
            started = true
            modeSince = now
            startTime = now
        }
        let dt = min(max(now - (lastUpdate ?? now), 0), 1)
        lastUpdate = now
        meter.add(sample, now: now)
        let minRtt = sample.rttMs.map { noteRtt($0, now: now) }
        let rttRise = zip2(sample.rttMs, minRtt).map { max(0, $0 - $1) } ?? 0
        // The age of the oldest byte still ours, from the log of the running total handed over.
        // Unlike bytes ÷ rate this holds when the encoder, not the link, sets the pace. Minus the
        // minimum RTT: unacknowledged bytes are merely in flight.
        // Monotone: media dropped from the local queue takes bytes off the total.
        sentLog.append((now, max(sample.sentBytesTotal, sentLog.last?.total ?? 0)))
        while let first = sentLog.first, now - first.time > 5 { sentLog.removeFirst() }
        let headPosition = (sentLog.last?.total ?? sample.sentBytesTotal) - sample.queuedBytes
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
        delays.append((now, delay))
        delays.removeAll { now - $0.time > Self.standingWindow }
        // What our own bursts (a keyframe: several frames' worth at once, up to the VBV's ¼ s)
        // still explain of the queue is no sign of the path: at 96 % of the path a keyframe's
        // queue takes seconds to drain, and cutting for it every GOP was the measured sawtooth.
        let burst = min(burstMs(now: now), Self.highMs)
        let standing = delays.map(\.ms).min() ?? delay
        // For the decision to cut or trim: what the path, not our burst, holds.
        let congested = max(0, standing - burst)
        standingAverage += (congested - standingAverage) * min(1, dt / 1.0)
        lossAverage += ((sample.lossRate ?? 0) - lossAverage) * min(1, dt / Self.lossSeconds)
        // Loss with no queue behind it is the radio's, not ours: a drop-tail bottleneck loses only
        // when full. (A policer without a queue would need loss alone; RFC 8867's links queue.)
        // Over a spike-sized queue (a capacity drop), the sample's own loss too: SRT then loses a
        // third of a sample at once, and the smoothed figure alone made the fit take 1.5 s.
        let queued = standing >= Self.lossQueueMs || rttRise >= Self.lowMs
        let loss = queued ? lossAverage : 0
        let cutLoss = queued && delay > Self.spikeMs ? max(lossAverage, sample.lossRate ?? 0) : loss
        let cutInterval = max(0.15, ((minRtt ?? 100) + 50) / 1000)
        let delivered = meter.rateKbps(span: 0.25, minSpan: 0.1) ?? sample.deliveryRateKbps ?? rate
        let longDelivered = meter.rateKbps(span: 1.0, minSpan: 0.5)

        // What the encoder really handed over lately: x264 follows a raised target with a lag
        // (and a simple picture may never fill it), so a probe counts once this has followed.
        let sentKbps = sentRate(over: 0.5)
        // Half a second of deliveries, and 2 s for the encoder to warm up: its first keyframe
        // and its slow start are no verdict on the link.
        let ready = meter.coveredSpan >= 0.5 && now - startTime >= Self.warmUpSeconds
        // The wire's overhead over the target, slowly (x264 follows a change with a lag): from
        // 2 s on, when the encoder has warmed up.
        // Only over a steady target: mid-ramp the encoder still lags and sent ÷ target would read
        // low, inflating the next target (a runaway climb).
        let longSent = sentRate(over: 1.0)
        if now - startTime >= 2, let longSent, let first = targets.first, now - first.time >= Self.overheadSeconds - 0.05 {
            let kbps = targets.map(\.kbps)
            let meanTarget = kbps.reduce(0, +) / Double(kbps.count)
            if meanTarget > 0, (kbps.max() ?? 0) <= meanTarget * (1 + Self.steadyTargetBand),
               (kbps.min() ?? 0) >= meanTarget * (1 - Self.steadyTargetBand) {
                let observed = min(Self.maxOverhead, max(Self.minOverhead, longSent / meanTarget))
                overhead += (observed - overhead) * min(1, dt / Self.overheadSeconds)
            }
        }

        var dropToKeyframe = false
        let localMs = sample.queuedMs ?? headAgeMs
        if localMs > latencyBudgetMs, now - lastKeyframeDrop >= 1 {
            dropToKeyframe = true
            lastKeyframeDrop = now
        }
        // Below what the path delivers by what empties the standing queue within `drainSeconds`.
        func drainTarget(_ base: Double) -> Double { base * max(0.5, min(Self.cruiseFraction, 1 - standing / 1000 / Self.drainSeconds)) }

        // The encoder sends far less than its target (a starved CPU, a still picture): what
        // queues now is not the target's doing; cutting it would only chase the encoder down.
        let encoderBound = (sentKbps ?? rate) < rate * 0.7
        if !ready {
            // Not half a second of deliveries yet: nothing to compare with.
        } else if encoderBound && delay < Self.spikeMs && loss <= 0.10 {
            clearSince = nil
        } else if congested > Self.highMs || delay > Self.spikeMs || cutLoss > 0.10 {
            clearSince = nil
            gain = Self.probeGain
            lastProbeFailed = false
            if now - lastCut >= cutInterval {
                lastCut = now
                // A fast-growing queue (a capacity drop): the freshest rate, as the longer span
                // still remembers the old link. At most halving per cut.
                // Otherwise the queue has stood for a while, so the path was full: the larger
                // of the short and the 1 s rate (both read low — acknowledgements bunch, SRT's
                // send buffer grows with the RTT — and the short one alone once halved a
                // 1 Mbit/s target on a 1 Mbit/s link).
                let spike = delay > Self.spikeMs
                let base = spike ? meter.rateKbps(span: 0.1, minSpan: 0.04).map { min($0, delivered) } ?? delivered
                    : max(delivered, longDelivered ?? 0)
                pathKbps = base
                let target = max(rate / 2, min(drainTarget(base), rate * (1 - min(cutLoss, 0.5) / 2)))
                if target < rate { rate = target }
                enter(.drain, now)
                // The path carries less than the floor itself: give up frame rate, then size.
                if meter.coveredSpan >= 1, max(delivered, longDelivered ?? 0) < floorKbps * overhead { stepDown(now: now) }
            }
        } else if mode == .probe, congested - probeStartStanding > Self.probeRiseMs || loss > 0.02 {
            // The probe built a queue: the link did not grow.
            clearSince = nil
            failProbe(now: now, standing: standing, sentKbps: sentKbps)
        } else if mode == .cruise, congested > Self.lowMs && (sentKbps ?? 0) >= rate * 0.9 || loss > 0.02 {
            // (Only while the encoder fills its target: otherwise the target is not what queues.)
            // A queue grows while cruising: the path shrank a little, or our estimate was high.
            clearSince = nil
            gain = Self.probeGain
            if now - lastCut >= cutInterval {
                lastCut = now
                pathKbps = longDelivered ?? delivered
                // Gently: when the encoder sends less than its target, delivered is the
                // encoder's pace, and a cut to it would chase it down.
                // At most −6 %: after a probe's +8 % that stays under the 10 % of a reversal.
                rate = min(rate, max(drainTarget(longDelivered ?? delivered), rate * 0.94))
                enter(.drain, now)
            }
        } else {
            if clearSince == nil { clearSince = now }
            switch mode {
            case .drain:
                // Gone, or as low as it gets (a busy host inflates the RTT by a steady few tens of ms).
                if standing <= Self.freezeMs || now - modeSince >= 2 {
                    if let path = pathKbps { rate = max(rate, path * Self.cruiseFraction) }
                    enter(.cruise, now)
                }
            case .cruise:
                let wait = lastProbeFailed ? Self.probeEveryAfterFailure : lastProbeCarried ? Self.probeEveryAfterCarried : Self.probeEvery
                if now - modeSince >= wait {
                    startProbe(now: now, standing: congested)
                }
            case .probe:
                let length = max(Self.minProbeSeconds, Self.probeSecondsAtBaseGain * Self.probeGain / gain)
                let steadySent = steadySentRate(over: 0.5)
                let followed = probeFollowed()
                let elapsed = now - modeSince
                // What the far end took during the probe (not before it): over its last second, or
                // its last half second if more. x264's output swings ±6–9 % from second to second
                // at a steady target (measured), as much as the +8 % asked; the whole second
                // averages a swing's trough into a probe that did carry more. (A probe over a path
                // that did not grow queues ~20 ms in that half second: `noRise` still guards.)
                let probeDelivered = max(meter.rateKbps(span: min(1.0, elapsed), minSpan: 0.25) ?? delivered,
                                         meter.rateKbps(span: min(Self.growthSpanSeconds, elapsed), minSpan: 0.25) ?? 0)
                let noRise = congested <= probeStartStanding + Self.probeRiseMs / 4
                // Growth shown (the first probe carried more than the path was known to take):
                // the next step as soon as the encoder is a quarter of the way up with no queue —
                // x264 takes a second or more to follow a raise fully, and each full wait would
                // cost that.
                let escalating = gain > Self.probeGain && elapsed >= Self.minProbeSeconds && noRise
                    && (steadySent ?? 0) >= (probeStartSentShort ?? .infinity) * (1 + gain / 4)
                if elapsed >= length, followed || elapsed >= Self.maxProbeSeconds,
                   !noRise {
                    // Inconclusive (a little queue): the link did not grow enough to matter.
                    failProbe(now: now, standing: standing, sentKbps: sentKbps)
                } else if escalating || elapsed >= length && followed && noRise
                            && probeDelivered >= knownKbps(now: now) * Self.growthMargin {
                    // The link carried it, beyond what it was known to: keep it, look further at once.
                    lastProbeFailed = false
                    lastProbeCarried = false
                    pathKbps = max(pathKbps ?? 0, probeDelivered)
                    gain = min(Self.probeMaxGain, gain * Self.escalation)
                    startProbe(now: now, standing: congested)
                    // Never more than twice what the far end took lately: the
                    // encoder's lag and the queue signal's delay would otherwise let the steps run
                    // far past the link before either shows (a measured 0.6 → 1.0 rise went to 3 Mbit/s).
                    if let taken = meter.rateKbps(span: 0.5, minSpan: 0.25) {
                        rate = max(probeBase, min(rate, taken * Self.maxStepOverTaken))
                        probeRate = rate
                    }
                } else if elapsed >= length, followed {
                    // Carried, but no more than the path was known to take: a steady link that had
                    // room for the probe. Keep it; probe again soon at the base gain (if the link
                    // grew, that one shows it).
                    lastProbeFailed = false
                    lastProbeCarried = true
                    pathKbps = max(pathKbps ?? 0, probeDelivered)
                    gain = Self.probeGain
                    enter(.cruise, now)
                } else if elapsed >= Self.maxProbeSeconds {
                    // The encoder never filled it (a simple picture, a busy CPU) and nothing
                    // queued: keep it, but do not look further faster — unverified, the target
                    // creeps (+7 % per probe cycle) instead of running ahead of what is sent.
                    // (Re-probing 0.5 s after it instead, with 2 s instead of 3: slower on the
                    // realistic simulator, 24 seeds, Docs/Benchmarks.md "sixth pass".)
                    gain = Self.probeGain
                    lastProbeFailed = true
                    enter(.cruise, now)
                }
            }
            if step != .full, let since = clearSince, now - since >= 2, now - lastStepChange >= 2,
               rate >= floorKbps * overhead * 1.3 {
                step = step == .reducedResolution ? .halfFrameRate : .full
                lastStepChange = now
            }
        }
        let maxRate = range.maxKbps * overhead
        if rate >= maxRate, mode == .probe {
            gain = Self.probeGain
            enter(.cruise, now)
        }
        rate = min(max(rate, floorKbps * overhead), maxRate)
        let target = min(max(rate / overhead, floorKbps), range.maxKbps)
        targets.append((now, target))
        targets.removeAll { now - $0.time > Self.overheadSeconds }
        return RateDecision(bitrateKbps: Int(target.rounded()), step: step, dropToKeyframe: dropToKeyframe)
    }

    /// The most the path is known to carry: what it took when last full (a cut, a trim, a failed
    /// probe), or the best rate a probe showed since. (A separate 10 s "ceiling" of the fifth pass
    /// was set only together with this and never above it, so it changed no decision; removed.)
    private func knownKbps(now: Double) -> Double { pathKbps ?? 0 }

    /// kbit/s handed to the transport over the last `seconds` (nil until that is covered).
    private func sentRate(over seconds: Double) -> Double? {
        guard let last = sentLog.last, let first = sentLog.last(where: { last.time - $0.time >= seconds }),
              last.time > first.time else { return nil }
        return Double(last.total - first.total) * 8 / 1000 / (last.time - first.time)
    }

    /// The queue (ms) our own recent bursts still explain: each sample's bytes above the mean
    /// of the last `burstSeconds`, at the path's rate, less what has drained since at the
    /// headroom the sending rate leaves (at least 2 %/s); the largest.
    private func burstMs(now: Double) -> Double {
        guard let last = sentLog.last, let start = sentLog.lastIndex(where: { last.time - $0.time >= Self.burstSeconds }),
              start + 2 < sentLog.count else { return 0 }
        let n = sentLog.count - 1 - start
        let span = last.time - sentLog[start].time
        guard span > 0 else { return 0 }
        let sendKbps = Double(last.total - sentLog[start].total) * 8 / 1000 / span
        // The largest step (the keyframe) against what the rest of the window sent per step.
        var largest = (bytes: 0, time: 0.0)
        for i in (start + 1)..<sentLog.count where sentLog[i].total - sentLog[i - 1].total > largest.bytes {
            largest = (sentLog[i].total - sentLog[i - 1].total, sentLog[i].time)
        }
        let others = Double(last.total - sentLog[start].total - largest.bytes) / Double(max(1, n - 1))
        let excess = Double(largest.bytes) - others
        guard excess > 0 else { return 0 }
        let path = max(pathKbps ?? sendKbps, 1)
        // It drains at the headroom the sending rate leaves (at least 4 %/s, the cruise's).
        let headroom = max(1 - Self.cruiseFraction, 1 - sendKbps / path)
        return max(0, excess * 8 / path - (now - largest.time) * 1000 * headroom)
    }

    /// `sentRate` without the largest single step: a keyframe (several frames' worth in one
    /// sample) in or out of a short window would otherwise decide whether a probe "followed".
    private func steadySentRate(over seconds: Double) -> Double? {
        guard let last = sentLog.last, let start = sentLog.lastIndex(where: { last.time - $0.time >= seconds }),
              start + 2 < sentLog.count else { return nil }
        var largest = 0
        for i in (start + 1)..<sentLog.count { largest = max(largest, sentLog[i].total - sentLog[i - 1].total) }
        let span = last.time - sentLog[start].time
        let n = Double(sentLog.count - 1 - start)
        // The largest step counts as much as the others did on average.
        let rest = Double(last.total - sentLog[start].total - largest)
        return (rest + rest / (n - 1)) * 8 / 1000 / span
    }

    private mutating func startProbe(now: Double, standing: Double) {
        // The lower of now and the last second's average: a baseline raised by a keyframe's
        // queue would let a probe over the path pass as carried.
        probeStartStanding = min(standing, standingAverage)
        lastProbeCarried = false
        probeStartSent = steadySentRate(over: 1.0)
        probeStartSentShort = steadySentRate(over: 0.5)
        probeBase = rate
        rate *= 1 + gain
        probeRate = rate
        enter(.probe, now)
    }

    /// The encoder really sent (most of) the probe: the wire rose by at least half the step over
    /// both the base and what went out before the probe. x264 follows a raise over a second or
    /// more; until it has, the link has not been asked anything.
    /// Same window, same estimator before and now: the keyframes it leaves out bias both alike.
    private func probeFollowed() -> Bool {
        guard let now = steadySentRate(over: 1.0), let before = probeStartSent else { return false }
        // And near its base: a starved encoder (a busy CPU) swings by half from second to second,
        // and a ratio of two such readings would escalate a probe nothing tested.
        return now >= before * (1 + gain / 2) && now >= probeBase * 0.85
    }

    /// A probe that queued: if the encoder filled it, the far end's rate meanwhile is the path's;
    /// if not, that rate is the encoder's, and the probe only says the base was safe.
    private mutating func failProbe(now: Double, standing: Double, sentKbps: Double?) {
        lastProbeFailed = true
        lastProbeCarried = false
        let escalated = gain > Self.probeGain
        gain = Self.probeGain
        let taken = meter.rateKbps(span: 0.5, minSpan: 0.25)
        if escalated, (taken ?? 0) < probeBase * 0.9 {
            // An escalated step starts before the encoder has filled the one before it, so its
            // base may not be verified either: unless the far end takes about that much, back to
            // what the path was seen to carry, or what the far end takes now if more (a measured
            // 0.6 → 1.0 rise failed from 1.87 back to an unverified 1.44 Mbit/s and queued 300 ms).
            let verified = knownKbps(now: now) * Self.cruiseFraction
            if let taken, probeFollowed() { pathKbps = taken }
            rate = min(rate, probeBase, max(verified, taken.map { drainTarget($0, standing) } ?? 0))
        } else if probeFollowed(), let path = taken {
            pathKbps = path
            rate = min(rate, max(probeBase * 0.98, drainTarget(path, standing)))
        } else {
            rate = min(rate, probeBase)
        }
        lastCut = now
        enter(.drain, now)
    }

    private func drainTarget(_ base: Double, _ standing: Double) -> Double {
        base * max(0.5, min(Self.cruiseFraction, 1 - standing / 1000 / Self.drainSeconds))
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
