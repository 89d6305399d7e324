// A deterministic fluid model of one bottleneck, to test and tune the policies without a network.
// It is a simulation: numbers from it are labelled so wherever they are reported.

import Foundation

/// Link capacity over time: steps (RFC 8867), a `time_s Mbps` trace, or a Mahimahi trace.
public struct CapacitySchedule: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var start: Double
        public var kbps: Double
        public init(start: Double, kbps: Double) { self.start = start; self.kbps = kbps }
    }

    public var name: String
    /// Sorted by start; the first starts at 0.
    public var segments: [Segment]
    public var duration: Double
    /// Few, deliberate steps: the fit/recover metrics apply to each of them.
    public var isStepwise: Bool

    public init(name: String, segments: [Segment], duration: Double, isStepwise: Bool) {
        self.name = name
        self.segments = segments
        self.duration = duration
        self.isStepwise = isStepwise
    }

    /// `[(kbps, seconds)]` one after the other, as RFC 8867's profiles are written.
    public static func steps(_ steps: [(kbps: Double, seconds: Double)], name: String = "steps") -> CapacitySchedule {
        var t = 0.0
        var segments: [Segment] = []
        for s in steps {
            segments.append(Segment(start: t, kbps: s.kbps))
            t += s.seconds
        }
        return CapacitySchedule(name: name, segments: segments, duration: t, isStepwise: true)
    }

    public func kbps(at time: Double) -> Double {
        var lo = 0, hi = segments.count - 1
        guard hi >= 0 else { return 0 }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if segments[mid].start <= time { lo = mid } else { hi = mid - 1 }
        }
        return segments[lo].kbps
    }

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case malformed(String)
        public var description: String {
            switch self {
            case .unreadable(let m): "cannot read schedule: \(m)"
            case .malformed(let m): "malformed schedule: \(m)"
            }
        }
    }

    /// Reads a file in any of the three formats, told apart by its content.
    public static func load(path: String) throws -> CapacitySchedule {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw LoadError.unreadable(path)
        }
        let name = (path as NSString).lastPathComponent
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") { return try parseStepsJSON(trimmed, name: name) }
        let firstLine = trimmed.split(whereSeparator: \.isNewline).first { !$0.hasPrefix("#") } ?? ""
        if firstLine.split(whereSeparator: \.isWhitespace).count >= 2 { return try parseTimeMbps(trimmed, name: name) }
        return try parseMahimahi(trimmed, name: name)
    }

    /// `{"steps_kbps_seconds": [[1000, 40], ...]}` (../shared/data/profiles/rfc8867-5.1.json).
    public static func parseStepsJSON(_ text: String, name: String = "steps") throws -> CapacitySchedule {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let raw = object["steps_kbps_seconds"] as? [[Any]] else {
            throw LoadError.malformed("\(name): no steps_kbps_seconds array")
        }
        var steps: [(kbps: Double, seconds: Double)] = []
        for pair in raw {
            guard pair.count == 2, let k = (pair[0] as? NSNumber)?.doubleValue, let s = (pair[1] as? NSNumber)?.doubleValue,
                  k.isFinite, s.isFinite, k >= 0, s > 0 else {
                throw LoadError.malformed("\(name): each step must be [kbps >= 0, seconds > 0]")
            }
            steps.append((k, s))
        }
        guard !steps.isEmpty else { throw LoadError.malformed("\(name): no steps") }
        return .steps(steps, name: name)
    }

    /// `time_s Mbps` lines: the rate holds from each time to the next.
    public static func parseTimeMbps(_ text: String, name: String = "trace") throws -> CapacitySchedule {
        var segments: [Segment] = []
        for (n, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.hasPrefix("#") {
            let cols = line.split(whereSeparator: \.isWhitespace)
            guard cols.count >= 2, let t = Double(cols[0]), let mbps = Double(cols[1]), t.isFinite, mbps.isFinite,
                  t >= 0, mbps >= 0, t >= (segments.last?.start ?? 0) else {
                throw LoadError.malformed("\(name) line \(n + 1): expected 'time_s Mbps' with increasing time")
            }
            segments.append(Segment(start: t, kbps: mbps * 1000))
        }
        guard let last = segments.last else { throw LoadError.malformed("\(name): empty") }
        if segments[0].start > 0 { segments.insert(Segment(start: 0, kbps: segments[0].kbps), at: 0) }
        let tail = segments.count > 1 ? last.start - segments[segments.count - 2].start : 1
        return CapacitySchedule(name: name, segments: segments, duration: last.start + max(tail, 1e-3),
                                isStepwise: segments.count <= 12)
    }

    /// Mahimahi: one millisecond timestamp per 1500-byte delivery opportunity, averaged per bin.
    public static func parseMahimahi(_ text: String, name: String = "mahimahi", binSeconds: Double = 0.2) throws -> CapacitySchedule {
        var stamps: [Int] = []
        for (n, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            guard let ms = Int(line.trimmingCharacters(in: .whitespaces)), ms >= 0, ms >= (stamps.last ?? 0) else {
                throw LoadError.malformed("\(name) line \(n + 1): expected a non-decreasing millisecond timestamp")
            }
            stamps.append(ms)
        }
        guard let lastMs = stamps.last, lastMs > 0 else { throw LoadError.malformed("\(name): empty") }
        let binMs = max(1, Int(binSeconds * 1000))
        var counts = [Int](repeating: 0, count: lastMs / binMs + 1)
        for s in stamps { counts[min(s / binMs, counts.count - 1)] += 1 }
        let segments = counts.enumerated().map {
            Segment(start: Double($0.offset * binMs) / 1000, kbps: Double($0.element) * 1500 * 8 / Double(binMs))
        }
        return CapacitySchedule(name: name, segments: segments, duration: Double(lastMs) / 1000, isStepwise: false)
    }
}

/// One bottleneck as a fluid queue. TCP: the sender's app queue feeds the network while the
/// bottleneck holds less than `bottleneckQueueMs` (back-pressure, no loss). SRT (no congestion
/// control): everything goes out at once, the drop-tail bottleneck loses the excess, the sender
/// keeps it for retransmission, and what waits longer than the SRT latency is dropped too late.
/// Simplifications: the RTT reflects the bottleneck queue at once; acknowledgements lag by the
/// base RTT; no frame granularity, no cross traffic.
public struct LinkSimulator: Sendable {
    public enum Transport: String, Sendable, CaseIterable { case tcp, srt }

    public struct Config: Sendable {
        public var transport: Transport
        public var baseRttMs: Double
        public var bottleneckQueueMs: Double
        public var sampleInterval: Double
        public var tick: Double
        public var srtLatencyMs: Double
        /// Added to each RTT reading: uniform 0...this (a busy host's scheduling; the measured runs'
        /// RTT wanders 20–30 ms on an idle link). Deterministic (seeded).
        public var rttJitterMs: Double
        public var jitterSeed: UInt64 = 11
        /// RFC 8867 §5: 50 ms one-way propagation (100 ms RTT), a 300 ms bottleneck queue.
        public init(transport: Transport = .tcp, baseRttMs: Double = 100, bottleneckQueueMs: Double = 300,
                    sampleInterval: Double = 0.02, tick: Double = 0.005, srtLatencyMs: Double = 1000,
                    rttJitterMs: Double = 0) {
            self.srtLatencyMs = srtLatencyMs
            self.rttJitterMs = rttJitterMs
            self.transport = transport
            self.baseRttMs = baseRttMs
            self.bottleneckQueueMs = bottleneckQueueMs
            self.sampleInterval = sampleInterval
            self.tick = tick
        }
    }

    public let config: Config
    public private(set) var time = 0.0
    public private(set) var appQueueBytes = 0.0
    public private(set) var netQueueBytes = 0.0
    public private(set) var sentTotal = 0.0
    public private(set) var deliveredTotal = 0.0
    public private(set) var lostTotal = 0.0
    public private(set) var droppedTotal = 0.0
    private var attemptedTotal = 0.0
    private var history: [(time: Double, delivered: Double)] = []
    /// (time, sentTotal) per tick for the last 10 s: the age of the oldest byte in the app queue.
    private var producedLog: [(time: Double, total: Double)] = []
    private var lastSample: (time: Double, attempted: Double, delivered: Double, lost: Double)
    private var random = SeededRandom(seed: 11)

    public init(config: Config) {
        self.config = config
        lastSample = (0, 0, 0, 0)
        random = SeededRandom(seed: config.jitterSeed)
    }

    /// Added queuing delay: how long the oldest byte still queued (ours or the bottleneck's) has
    /// waited, which stays meaningful through a zero-capacity outage. Capped at 10 s.
    public var queueDelayMs: Double { age(ofBytesFromEnd: appQueueBytes + netQueueBytes) }

    /// Advances by `dt` with the encoder producing `sendKbps` and the link carrying `capacityKbps`.
    public mutating func advance(dt: Double, sendKbps: Double, capacityKbps: Double) {
        let produced = max(0, sendKbps) * 1000 / 8 * dt
        let limit = capacityKbps * 1000 / 8 * config.bottleneckQueueMs / 1000
        sentTotal += produced
        switch config.transport {
        case .tcp:
            appQueueBytes += produced
            let move = min(appQueueBytes, max(0, limit - netQueueBytes))
            appQueueBytes -= move
            netQueueBytes += move
        case .srt:
            appQueueBytes += produced
            attemptedTotal += appQueueBytes
            netQueueBytes += appQueueBytes
            appQueueBytes = 0
            if netQueueBytes > limit {
                lostTotal += netQueueBytes - limit
                appQueueBytes = netQueueBytes - limit
                netQueueBytes = limit
            }
            let tooLate = appQueueBytes - capacityKbps * 1000 / 8 * config.srtLatencyMs / 1000
            if tooLate > 0 {
                droppedTotal += tooLate
                appQueueBytes -= tooLate
            }
        }
        let served = min(netQueueBytes, capacityKbps * 1000 / 8 * dt)
        netQueueBytes -= served
        deliveredTotal += served
        time += dt
        producedLog.append((time, sentTotal))
        while let first = producedLog.first, time - first.time > 10 { producedLog.removeFirst() }
        history.append((time, deliveredTotal))
        while let first = history.first, time - first.time > config.baseRttMs / 1000 + 0.05 { history.removeFirst() }
    }

    /// The encoder discards what it still holds, up to the next keyframe (TCP's app queue; SRT
    /// holds nothing of ours that is not already on the wire).
    public mutating func dropToKeyframe() {
        droppedTotal += appQueueBytes
        appQueueBytes = 0
    }

    /// How long ago the byte `bytes` before the newest one was produced (ms).
    private func age(ofBytesFromEnd bytes: Double) -> Double {
        guard bytes > 0 else { return 0 }
        let mark = sentTotal - bytes
        guard let entry = producedLog.first(where: { $0.total >= mark - 1e-6 }) else { return 10_000 }
        return (time - entry.time) * 1000
    }

    /// What the sender's transport would report now.
    public mutating func sample(capacityKbps: Double, sendKbps: Double) -> LinkSample {
        let dt = max(time - lastSample.time, 1e-6)
        let jitter = config.rttJitterMs > 0 ? random.unit() * config.rttJitterMs : 0
        let rtt = config.baseRttMs + netQueueBytes * 8 / max(capacityKbps, 1) + jitter
        // Delivered but not yet acknowledged: what left the bottleneck within the last base RTT.
        let ackHorizon = time - config.baseRttMs / 1000
        let ackedTotal = history.last { $0.time <= ackHorizon }?.delivered ?? 0
        let unacked = max(0, deliveredTotal - ackedTotal)
        let queued = appQueueBytes + netQueueBytes + unacked
        let attemptedNow = attemptedTotal - lastSample.attempted
        let lost = lostTotal - lastSample.lost
        let deliveryKbps = (deliveredTotal - lastSample.delivered) * 8 / 1000 / dt
        // TCP: media waiting in our app queue; SRT: msSndBuf, the span of the send buffer.
        let queuedMs: Double = switch config.transport {
        case .tcp: age(ofBytesFromEnd: appQueueBytes)
        case .srt: age(ofBytesFromEnd: queued)
        }
        let s = LinkSample(time: time, rttMs: rtt, queuedBytes: Int(queued), queuedMs: queuedMs,
                           sentBytesTotal: Int(sentTotal), deliveryRateKbps: deliveryKbps,
                           lossRate: config.transport == .srt ? (attemptedNow > 0 ? min(1, lost / attemptedNow) : 0) : nil,
                           retransmitsTotal: config.transport == .srt ? Int(lostTotal / 1316) : nil)
        lastSample = (time, attemptedTotal, deliveredTotal, lostTotal)
        return s
    }
}

/// RFC 8868-style figures for one policy over one schedule (simulated).
public struct SimulationResult: Sendable {
    public struct Point: Sendable {
        public var time: Double
        public var capacityKbps: Double
        public var bitrateKbps: Double
        public var queueDelayMs: Double
        public init(time: Double, capacityKbps: Double, bitrateKbps: Double, queueDelayMs: Double) {
            self.time = time
            self.capacityKbps = capacityKbps
            self.bitrateKbps = bitrateKbps
            self.queueDelayMs = queueDelayMs
        }
    }

    public var policy: RatePolicyName
    public var schedule: String
    public var transport: LinkSimulator.Transport
    /// Delivered ÷ min(capacity, max bitrate), over the whole run.
    public var utilisation: Double
    public var queueDelayP50Ms: Double
    public var queueDelayP95Ms: Double
    /// Per capacity drop (stepwise schedules): seconds until the bitrate is at or below the new
    /// capacity; nil if it never was before the next change.
    public var fitAfterDrop: [Double?]
    /// Per capacity rise: seconds until the bitrate reaches 85 % of min(new capacity, max); nil if never.
    public var recoverAfterRise: [Double?]
    /// Rises of ≥ 10 % followed by a fall of ≥ 10 % that no capacity drop in the last 3 s explains.
    public var oscillations: Int
    public var lostBytes: Double
    public var droppedBytes: Double
    public var keyframeDrops: Int
    public var qualityStepChanges: Int
    public var timeline: [Point]

    public init(policy: RatePolicyName, schedule: String, transport: LinkSimulator.Transport, utilisation: Double,
                queueDelayP50Ms: Double, queueDelayP95Ms: Double, fitAfterDrop: [Double?], recoverAfterRise: [Double?],
                oscillations: Int, lostBytes: Double, droppedBytes: Double, keyframeDrops: Int, qualityStepChanges: Int,
                timeline: [Point]) {
        self.policy = policy
        self.schedule = schedule
        self.transport = transport
        self.utilisation = utilisation
        self.queueDelayP50Ms = queueDelayP50Ms
        self.queueDelayP95Ms = queueDelayP95Ms
        self.fitAfterDrop = fitAfterDrop
        self.recoverAfterRise = recoverAfterRise
        self.oscillations = oscillations
        self.lostBytes = lostBytes
        self.droppedBytes = droppedBytes
        self.keyframeDrops = keyframeDrops
        self.qualityStepChanges = qualityStepChanges
        self.timeline = timeline
    }
}

/// RFC 8868-style adaptation figures from a bitrate time series against a schedule; shared by the
/// simulation and the measured run.
public enum AdaptationMetrics {
    /// Per capacity drop / rise of a stepwise schedule: seconds to fit, seconds to recover (nil:
    /// not before the next change); and reversals (a rise of >= 10 % then a fall of >= 10 % that no
    /// capacity drop in the previous 3 s explains).
    public static func evaluate(rates: [(time: Double, kbps: Double)], schedule: CapacitySchedule, maxKbps: Int)
        -> (fitAfterDrop: [Double?], recoverAfterRise: [Double?], oscillations: Int) {
        var fits: [Double?] = []
        var recovers: [Double?] = []
        var drops: [Double] = []
        for (n, seg) in schedule.segments.enumerated() where n > 0 {
            let before = schedule.segments[n - 1].kbps
            let end = n + 1 < schedule.segments.count ? schedule.segments[n + 1].start : schedule.duration
            if seg.kbps < before * 0.95 { drops.append(seg.start) }
            guard schedule.isStepwise else { continue }
            let window = rates.filter { $0.time >= seg.start && $0.time < end }
            if seg.kbps < before * 0.95 {
                fits.append(window.first { $0.kbps <= seg.kbps }.map { $0.time - seg.start })
            } else if seg.kbps > before * 1.05 {
                let goal = 0.85 * min(seg.kbps, Double(maxKbps))
                recovers.append(window.first { $0.kbps >= goal }.map { $0.time - seg.start })
            }
        }
        var oscillations = 0
        var peak = rates.first?.kbps ?? 0
        var trough = peak
        var direction = 0
        for r in rates {
            if direction >= 0 {
                if r.kbps > peak {
                    peak = r.kbps
                } else if r.kbps <= peak * 0.9 {
                    let explained = drops.contains { $0 <= r.time && r.time - $0 <= 3 }
                    if direction == 1, !explained { oscillations += 1 }
                    direction = -1
                    trough = r.kbps
                }
            } else if r.kbps < trough {
                trough = r.kbps
            } else if r.kbps >= trough * 1.1 {
                direction = 1
                peak = r.kbps
            }
        }
        return (fits, recovers, oscillations)
    }
}

public enum Simulation {
    public struct Options: Sendable {
        public var minKbps: Int
        public var maxKbps: Int
        public var startKbps: Int
        public var latencyBudgetMs: Double
        public var link: LinkSimulator.Config
        /// nil: the encoder puts exactly its target on the wire, continuously.
        public var encoder: EncoderModel?
        public init(minKbps: Int = 300, maxKbps: Int = 3000, startKbps: Int = 1000, latencyBudgetMs: Double = 500,
                    link: LinkSimulator.Config = .init(), encoder: EncoderModel? = nil) {
            self.encoder = encoder
            self.minKbps = minKbps
            self.maxKbps = maxKbps
            self.startKbps = startKbps
            self.latencyBudgetMs = latencyBudgetMs
            self.link = link
        }
    }

    public static func run(policy: RatePolicyName, schedule: CapacitySchedule, options: Options = .init()) -> SimulationResult {
        var controller = RateController(policy: policy, minKbps: options.minKbps, maxKbps: options.maxKbps,
                                        startKbps: options.startKbps, latencyBudgetMs: options.latencyBudgetMs,
                                        srtLatencyMs: options.link.srtLatencyMs)
        var link = LinkSimulator(config: options.link)
        var rate = Double(controller.current.bitrateKbps)
        var encoder = options.encoder.map { EncoderState(model: $0, startKbps: rate) }
        var step = controller.current.step
        var delays: [Double] = []
        var rates: [(time: Double, kbps: Double)] = []
        var timeline: [SimulationResult.Point] = []
        var usableBits = 0.0
        var keyframeDrops = 0
        var stepChanges = 0
        let tick = options.link.tick
        let ticksPerSample = max(1, Int((options.link.sampleInterval / tick).rounded()))
        let total = Int((schedule.duration / tick).rounded())
        for i in 0..<total {
            let t = Double(i) * tick
            let capacity = schedule.kbps(at: t)
            var wireKbps = rate
            if var e = encoder {
                wireKbps = e.advance(dt: tick, targetKbps: rate)
                encoder = e
            }
            link.advance(dt: tick, sendKbps: wireKbps, capacityKbps: capacity)
            usableBits += min(capacity, Double(options.maxKbps)) * 1000 * tick
            if (i + 1) % ticksPerSample == 0 {
                let sample = link.sample(capacityKbps: capacity, sendKbps: rate)
                let d = controller.update(sample, now: link.time)
                if d.dropToKeyframe { link.dropToKeyframe(); keyframeDrops += 1 }
                if d.step != step { stepChanges += 1; step = d.step }
                rate = Double(d.bitrateKbps)
                delays.append(link.queueDelayMs)
                rates.append((link.time, rate))
            }
            if (i + 1) % max(1, Int((0.1 / tick).rounded())) == 0 {
                timeline.append(.init(time: link.time, capacityKbps: capacity, bitrateKbps: rate,
                                      queueDelayMs: link.queueDelayMs))
            }
        }
        delays.sort()
        func pct(_ p: Double) -> Double { delays.isEmpty ? 0 : delays[min(delays.count - 1, Int(Double(delays.count - 1) * p))] }

        let (fits, recovers, oscillations) = AdaptationMetrics.evaluate(rates: rates, schedule: schedule, maxKbps: options.maxKbps)
        return SimulationResult(policy: policy, schedule: schedule.name, transport: options.link.transport,
                                utilisation: usableBits > 0 ? link.deliveredTotal * 8 / usableBits : 0,
                                queueDelayP50Ms: pct(0.5), queueDelayP95Ms: pct(0.95),
                                fitAfterDrop: fits, recoverAfterRise: recovers, oscillations: oscillations,
                                lostBytes: link.lostTotal, droppedBytes: link.droppedTotal,
                                keyframeDrops: keyframeDrops, qualityStepChanges: stepChanges, timeline: timeline)
    }
}

/// A contribution encoder as the measured runs show libx264 (zerolatency, VBV 0.25 s) on the
/// stamped test pattern: it follows a raised target with a lag, produces less than the target
/// (more so at high rates), in frames with a keyframe every GOP, and the container/transport adds
/// its overhead on the wire. Deterministic (seeded). Used by `bench uplink --simulate --realistic`.
public struct EncoderModel: Sendable {
    public var fps = 30.0
    public var gopSeconds = 2.0
    /// Keyframe size ÷ the GOP's mean frame size.
    public var keyframeRatio = 4.0
    /// A raised target is followed with this time constant; a lowered one at once (VBV).
    public var lagSeconds = 0.7
    /// Media ÷ target: `fillAt0` − `fillSlopePerMbps` × target in Mbit/s (measured: ~0.95 at
    /// 1 Mbit/s, ~0.86 at 3 Mbit/s).
    public var fillAt0 = 1.0
    public var fillSlopePerMbps = 0.045
    /// ± this share of a frame's size, uniformly.
    public var frameNoise = 0.25
    /// The picture's own swing: media ÷ target × (1 ± this), a sine of `contentPeriodSeconds`
    /// (measured on the test pattern: ±6–9 % from second to second at a steady target). 0: none.
    public var contentSwing = 0.0
    public var contentPeriodSeconds = 2.3
    /// Wire bytes ÷ media bytes: RTMP ~1.02 (FLV, chunk headers, audio), SRT ~1.12 (MPEG-TS, a PES per frame).
    public var wireOverhead: Double
    public var seed: UInt64 = 7

    public init(wireOverhead: Double) { self.wireOverhead = wireOverhead }

    /// The measured runs' shape for a transport.
    public static func x264TestPattern(_ transport: LinkSimulator.Transport) -> EncoderModel {
        EncoderModel(wireOverhead: transport == .srt ? 1.12 : 1.02)
    }
}

struct EncoderState {
    let model: EncoderModel
    var effectiveKbps: Double
    var untilFrame = 0.0
    var frame = 0
    var random: SeededRandom

    init(model: EncoderModel, startKbps: Double) {
        self.model = model
        effectiveKbps = startKbps
        random = SeededRandom(seed: model.seed)
    }

    /// Wire kbit/s during this tick: a frame's bytes in the tick it is produced, nothing between.
    mutating func advance(dt: Double, targetKbps: Double) -> Double {
        if targetKbps > effectiveKbps {
            effectiveKbps += (targetKbps - effectiveKbps) * min(1, dt / model.lagSeconds)
        } else {
            effectiveKbps = targetKbps
        }
        untilFrame -= dt
        guard untilFrame <= 1e-9 else { return 0 }
        untilFrame += 1 / model.fps
        let perGop = max(1, Int((model.fps * model.gopSeconds).rounded()))
        let pShare = Double(perGop) / (model.keyframeRatio + Double(perGop - 1))
        let share = frame % perGop == 0 ? model.keyframeRatio * pShare : pShare
        frame += 1
        let fill = max(0.5, model.fillAt0 - model.fillSlopePerMbps * effectiveKbps / 1000)
        let phase = Double(frame) / model.fps * 2 * Double.pi / model.contentPeriodSeconds + Double(model.seed)
        let noise = (1 + model.frameNoise * (2 * random.unit() - 1)) * (1 + model.contentSwing * sin(phase))
        let bits = effectiveKbps * 1000 * fill / model.fps * share * noise * model.wireOverhead
        return bits / 1000 / dt
    }
}

/// A small deterministic generator (SplitMix64): the simulation prints the same numbers each run.
struct SeededRandom: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    /// Uniform in 0..<1.
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(UInt64(1) << 53)
    }
}
