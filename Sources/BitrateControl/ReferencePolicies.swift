// Other encoders' controllers, reproduced from their sources so `sluice bench uplink` compares
// against what they really do. Constants keep the originals' names and values.

import Foundation

/// OBS Studio's dynamic bitrate (plugins/obs-outputs/rtmp-stream.c, `check_to_drop_frames`,
/// `dbr_bitrate_lowered`, `dbr_inc_bitrate`, `dbr_add_frame`).
///
/// OBS estimates throughput from the bytes its send thread pushed through `send()` over the last
/// 1–2 s. When ≥ 200 ms of media wait in its own queue it sets the bitrate to that estimate
/// (rounded down to 100 kbit/s) and clears the estimate, so the next cut needs another full second
/// of data; without an estimate it returns to the rate before its last increase. Every 4 s after
/// a change it adds a tenth of the configured bitrate until back at it. Its floor is 50 kbit/s;
/// here it is the controller's minimum.
struct OBSPolicy: Sendable {
    static let incTimer = 4.0                 // DBR_INC_TIMER
    static let triggerMs = 200.0              // DBR_TRIGGER_USEC
    static let minEstimateDuration = 1.0      // MIN_ESTIMATE_DURATION_MS
    static let maxEstimateDuration = 2.0      // MAX_ESTIMATE_DURATION_MS

    let range: RateRange
    let origKbps: Double
    let incKbps: Double
    var curKbps: Double
    var prevKbps: Double = 0
    var incTimeout: Double?
    var meter = DeliveryMeter(window: OBSPolicy.maxEstimateDuration, useAcks: false)

    init(range: RateRange) {
        self.range = range
        // OBS starts at the configured bitrate and never exceeds it; ours is the maximum.
        origKbps = range.maxKbps
        incKbps = range.maxKbps / 10
        curKbps = range.startKbps
    }

    mutating func update(_ sample: LinkSample, now: Double) -> RateDecision {
        meter.add(sample, now: now)
        // Below the configured rate (a start below it) OBS climbs on its timer.
        if incTimeout == nil, curKbps < origKbps, prevKbps == 0, meter.points.count == 1 { incTimeout = now + Self.incTimer }
        if let t = incTimeout, now >= t {
            incTimeout = nil
            prevKbps = curKbps
            curKbps += incKbps
            if curKbps >= origKbps { curKbps = origKbps } else { incTimeout = now + Self.incTimer }
        }
        let bufferMs = sample.queuedMs ?? Double(sample.queuedBytes) * 8 / max(curKbps, 1)
        if bufferMs >= Self.triggerMs { lower(now: now) }
        return RateDecision(bitrateKbps: Int(range.clamp(curKbps)))
    }

    private mutating func lower(now: Double) {
        var est = 0.0
        if let e = meter.rateKbps(minSpan: Self.minEstimateDuration), e < curKbps {
            meter.reset()
            est = max(50, (e / 100).rounded(.down) * 100)
        }
        let new: Double
        if est > 0 {
            new = est
        } else if prevKbps > 0 {
            new = prevKbps
        } else {
            return
        }
        if new == curKbps { return }
        prevKbps = 0
        curKbps = range.clamp(new)
        incTimeout = now + Self.incTimer
    }
}

/// BELABOX belacoder's SRT controller (belacoder.c `update_bitrate`, called every 20 ms).
///
/// It tracks the SRT send buffer in packets (average, jitter) and RTT (average, min, jitter,
/// trend). RTT ≥ latency/3 or a buffer above 4× (avg+jitter) drops straight to the minimum;
/// RTT > latency/5 or a large buffer cuts 100 kbit/s + 10 %; a mild rise cuts 100 kbit/s; an RTT
/// near its minimum and not rising adds 30 kbit/s + 1/30 every 500 ms. The encoder gets the rate
/// rounded down to 100 kbit/s.
struct BelacoderPolicy: Sendable {
    static let pktSize = 1316.0               // SRT_PKT_SIZE
    static let incrMin = 30_000.0             // BITRATE_INCR_MIN (bps)
    static let incrInterval = 500.0           // BITRATE_INCR_INT (ms)
    static let incrScale = 30.0               // BITRATE_INCR_SCALE
    static let decrMin = 100_000.0            // BITRATE_DECR_MIN (bps)
    static let decrInterval = 200.0           // BITRATE_DECR_INT (ms)
    static let decrFastInterval = 250.0       // BITRATE_DECR_FAST_INT (ms)
    static let decrScale = 10.0               // BITRATE_DECR_SCALE

    let minBps: Double
    let maxBps: Double
    let srtLatency: Double
    var curBps: Double
    var bsAvg = 0.0, bsJitter = 0.0, prevBs = 0.0
    var rttAvg = 0.0, rttAvgDelta = 0.0, prevRtt = 300.0, rttMin = 200.0, rttJitter = 0.0
    var throughput = 0.0
    var nextIncr = 0.0, nextDecr = 0.0

    init(range: RateRange, srtLatencyMs: Double) {
        minBps = range.minKbps * 1000
        maxBps = range.maxKbps * 1000
        srtLatency = srtLatencyMs
        curBps = range.startKbps * 1000
    }

    var decision: RateDecision { RateDecision(bitrateKbps: Int((curBps / 100_000).rounded(.down) * 100)) }

    mutating func update(_ sample: LinkSample, now: Double) -> RateDecision {
        guard let rttSample = sample.rttMs else { return decision }
        let ctime = now * 1000
        let bs = (Double(sample.queuedBytes) / Self.pktSize).rounded(.down)
        bsAvg = bsAvg * 0.99 + bs * 0.01
        bsJitter *= 0.99
        if bs - prevBs > bsJitter { bsJitter = bs - prevBs }
        prevBs = bs

        let rtt = rttSample.rounded(.down)
        rttAvg = rttAvg == 0 ? rtt : rttAvg * 0.99 + 0.01 * rtt
        let deltaRtt = rtt - prevRtt
        rttAvgDelta = rttAvgDelta * 0.8 + deltaRtt * 0.2
        prevRtt = rtt
        rttMin *= 1.001
        if rtt != 100, rtt < rttMin, rttAvgDelta < 1.0 { rttMin = rtt }
        rttJitter *= 0.99
        if deltaRtt > rttJitter { rttJitter = deltaRtt }

        // mbpsSendRate * 1e6 / 1024, as belacoder converts it.
        throughput = throughput * 0.97 + (sample.deliveryRateKbps ?? 0) * 1000 / 1024 * 0.03

        var bitrate = curBps
        let tput = throughput
        let rttToBs = { (r: Double) in (tput / 8) * r / Self.pktSize }
        let bsTh3 = ((bsAvg + bsJitter) * 4).rounded(.towardZero)
        var bsTh2 = max(50, bsAvg + max(bsJitter * 3, bsAvg)).rounded(.towardZero)
        bsTh2 = min(bsTh2, rttToBs(srtLatency / 2).rounded(.towardZero))
        let bsTh1 = max(50, bsAvg + bsJitter * 2.5).rounded(.towardZero)
        let rttThMax = (rttAvg + max(rttJitter * 4, rttAvg * 15 / 100)).rounded(.towardZero)
        let rttThMin = (rttMin + max(1, rttJitter * 2)).rounded(.towardZero)

        if bitrate > minBps && (rtt >= srtLatency / 3 || bs > bsTh3) {
            bitrate = minBps
            nextDecr = ctime + Self.decrInterval
        } else if ctime > nextDecr && (rtt > srtLatency / 5 || bs > bsTh2) {
            bitrate -= Self.decrMin + bitrate / Self.decrScale
            nextDecr = ctime + Self.decrFastInterval
        } else if ctime > nextDecr && (rtt > rttThMax || bs > bsTh1) {
            bitrate -= Self.decrMin
            nextDecr = ctime + Self.decrInterval
        } else if ctime > nextIncr && rtt < rttThMin && rttAvgDelta < 0.01 {
            bitrate += Self.incrMin + bitrate / Self.incrScale
            nextIncr = ctime + Self.incrInterval
        }
        curBps = min(max(bitrate, minBps), maxBps)
        return decision
    }
}

/// Google Congestion Control, sender side (draft-ietf-rmcat-gcc-02 and libwebrtc's goog_cc:
/// trendline_estimator.cc, aimd_rate_control.cc, send_side_bandwidth_estimation.cc).
///
/// The delay signal is the RTT each sample reports: its change between samples stands in for the
/// per-packet-group one-way delay variation libwebrtc gets from transport-wide feedback. The
/// trendline (window 20, smoothing 0.9, gain 4) feeds the adaptive-threshold overuse detector
/// (initial 12.5, k_up 0.0087, k_down 0.039, 10 ms over-use time); AIMD sets 0.85× the acknowledged
/// rate on overuse, otherwise grows 8 %/s (multiplicative) or by about a packet per response time
/// near the link-capacity estimate. The loss controller (SRT only) cuts by half the loss fraction
/// above 10 % and grows 8 % per second below 2 %. The target is the smaller of the two.
struct GCCPolicy: Sendable {
    enum Usage: Sendable { case normal, underusing, overusing }
    enum RateState: Sendable { case hold, increase, decrease }

    static let windowSize = 20
    static let smoothing = 0.9
    static let thresholdGain = 4.0
    static let minNumDeltas = 60.0
    static let maxAdaptOffsetMs = 15.0
    static let overusingTimeThresholdMs = 10.0
    static let kUp = 0.0087
    static let kDown = 0.039
    static let beta = 0.85

    let range: RateRange
    // Trendline.
    var firstArrival: Double?
    var numDeltas = 0
    var accumulatedDelay = 0.0
    var smoothedDelay = 0.0
    var history: [(x: Double, y: Double)] = []
    var prevTrend = 0.0
    var prevRtt: Double?
    // Overuse detector.
    var threshold = 12.5
    var lastThresholdUpdate: Double?
    var timeOverUsing = -1.0
    var overuseCounter = 0
    var usage = Usage.normal
    var prevSampleTime: Double?
    // AIMD.
    var rateState = RateState.hold
    var delayBasedBps: Double
    var lastChange: Double?
    var linkCapacityKbps: Double?
    var linkDeviation = 0.4
    // Loss based.
    var targetBps: Double
    var lastLossIncrease = -Double.infinity
    var lastLossDecrease = -Double.infinity
    var meter = DeliveryMeter(window: 1.0)

    init(range: RateRange) {
        self.range = range
        delayBasedBps = range.startKbps * 1000
        targetBps = range.startKbps * 1000
    }

    mutating func update(_ sample: LinkSample, now: Double) -> RateDecision {
        meter.add(sample, now: now)
        let nowMs = now * 1000
        let tsDelta = prevSampleTime.map { nowMs - $0 } ?? 0
        prevSampleTime = nowMs
        if let rtt = sample.rttMs {
            if let prev = prevRtt { updateTrendline(delayDeltaMs: rtt - prev, arrivalMs: nowMs, tsDeltaMs: tsDelta) }
            prevRtt = rtt
        }
        // No acknowledged-rate estimate until acknowledgements have covered half a second.
        let acked = meter.coveredSpan >= 0.5 ? meter.rateKbps(span: 0.5, minSpan: 0.1).map { $0 * 1000 } : nil
        updateAIMD(nowMs: nowMs, ackedBps: acked, rttMs: sample.rttMs ?? 100)
        updateLoss(sample, nowMs: nowMs)
        return RateDecision(bitrateKbps: Int(range.clamp(targetBps / 1000)))
    }

    private mutating func updateTrendline(delayDeltaMs: Double, arrivalMs: Double, tsDeltaMs: Double) {
        if firstArrival == nil { firstArrival = arrivalMs }
        numDeltas = min(numDeltas + 1, 1000)
        accumulatedDelay += delayDeltaMs
        smoothedDelay = Self.smoothing * smoothedDelay + (1 - Self.smoothing) * accumulatedDelay
        history.append((arrivalMs - (firstArrival ?? arrivalMs), smoothedDelay))
        if history.count > Self.windowSize { history.removeFirst() }
        var trend = prevTrend
        if history.count == Self.windowSize, let slope = Self.linearFitSlope(history) { trend = slope }
        detect(trend: trend, tsDeltaMs: tsDeltaMs, nowMs: arrivalMs)
    }

    static func linearFitSlope(_ points: [(x: Double, y: Double)]) -> Double? {
        let n = Double(points.count)
        let xAvg = points.reduce(0) { $0 + $1.x } / n
        let yAvg = points.reduce(0) { $0 + $1.y } / n
        var num = 0.0, den = 0.0
        for p in points {
            num += (p.x - xAvg) * (p.y - yAvg)
            den += (p.x - xAvg) * (p.x - xAvg)
        }
        return den == 0 ? nil : num / den
    }

    private mutating func detect(trend: Double, tsDeltaMs: Double, nowMs: Double) {
        guard numDeltas >= 2 else { usage = .normal; return }
        let modified = min(Double(numDeltas), Self.minNumDeltas) * trend * Self.thresholdGain
        if modified > threshold {
            if timeOverUsing == -1 { timeOverUsing = tsDeltaMs / 2 } else { timeOverUsing += tsDeltaMs }
            overuseCounter += 1
            if timeOverUsing > Self.overusingTimeThresholdMs && overuseCounter > 1 && trend >= prevTrend {
                timeOverUsing = 0
                overuseCounter = 0
                usage = .overusing
            }
        } else if modified < -threshold {
            timeOverUsing = -1
            overuseCounter = 0
            usage = .underusing
        } else {
            timeOverUsing = -1
            overuseCounter = 0
            usage = .normal
        }
        prevTrend = trend
        updateThreshold(modified: modified, nowMs: nowMs)
    }

    private mutating func updateThreshold(modified: Double, nowMs: Double) {
        let last = lastThresholdUpdate ?? nowMs
        lastThresholdUpdate = nowMs
        if abs(modified) > threshold + Self.maxAdaptOffsetMs { return }
        let k = abs(modified) < threshold ? Self.kDown : Self.kUp
        threshold += k * (abs(modified) - threshold) * min(nowMs - last, 100)
        threshold = min(max(threshold, 6), 600)
    }

    private var capacityUpper: Double? {
        linkCapacityKbps.map { $0 + 3 * ($0 * linkDeviation).squareRoot() }
    }
    private var capacityLower: Double? {
        linkCapacityKbps.map { $0 - 3 * ($0 * linkDeviation).squareRoot() }
    }

    private mutating func onOveruse(ackedKbps: Double) {
        guard let est = linkCapacityKbps else { linkCapacityKbps = ackedKbps; return }
        let alpha = 0.05
        let new = (1 - alpha) * est + alpha * ackedKbps
        let err = new - ackedKbps
        linkDeviation = min(max((1 - alpha) * linkDeviation + alpha * err * err / max(new, 1), 0.4), 2.5)
        linkCapacityKbps = new
    }

    private mutating func updateAIMD(nowMs: Double, ackedBps: Double?, rttMs: Double) {
        switch usage {
        case .normal: if rateState == .hold { lastChange = nowMs; rateState = .increase }
        case .overusing: if rateState != .decrease { rateState = .decrease }
        case .underusing: rateState = .hold
        }
        var new = delayBasedBps
        switch rateState {
        case .hold:
            break
        case .increase:
            if let acked = ackedBps, let upper = capacityUpper, acked / 1000 > upper { linkCapacityKbps = nil }
            let dtMs = min(nowMs - (lastChange ?? nowMs), 1000)
            if linkCapacityKbps != nil {
                let bitsPerFrame = delayBasedBps / 30
                let packetsPerFrame = (bitsPerFrame / (1200 * 8)).rounded(.up)
                let avgPacketBits = bitsPerFrame / max(packetsPerFrame, 1)
                let perSecond = max(4000, avgPacketBits * 1000 / (rttMs + 100))
                new += perSecond * dtMs / 1000
            } else {
                let alpha = pow(1.08, dtMs / 1000)
                new += max(delayBasedBps * (alpha - 1), 1000)
            }
            if let acked = ackedBps { new = min(new, 1.5 * acked + 10_000) }
            lastChange = nowMs
        case .decrease:
            if let acked = ackedBps {
                new = min(new, Self.beta * acked)
                if let lower = capacityLower, acked / 1000 < lower { linkCapacityKbps = nil }
                onOveruse(ackedKbps: acked / 1000)
            } else {
                new *= Self.beta
            }
            rateState = .hold
            lastChange = nowMs
        }
        delayBasedBps = min(max(new, range.minKbps * 1000), range.maxKbps * 1000)
        targetBps = min(targetBps, delayBasedBps)
    }

    private mutating func updateLoss(_ sample: LinkSample, nowMs: Double) {
        if let loss = sample.lossRate {
            if loss <= 0.02 {
                if nowMs - lastLossIncrease >= 1000 {
                    targetBps = targetBps * 1.08 + 1000
                    lastLossIncrease = nowMs
                }
            } else if loss > 0.1, nowMs - lastLossDecrease >= 300 + (sample.rttMs ?? 100) {
                targetBps *= 1 - 0.5 * loss
                lastLossDecrease = nowMs
            }
        } else {
            // No loss signal (TCP): the delay-based rate alone.
            targetBps = delayBasedBps
        }
        targetBps = min(max(min(targetBps, delayBasedBps), range.minKbps * 1000), range.maxKbps * 1000)
    }
}
