// Publisher-side bitrate control: a pure type fed with transport readings, returning the encoder's
// next target. No I/O and no clock of its own, so policies can be tested and simulated exactly.

/// One reading of the transport, taken every ~20–100 ms.
public struct LinkSample: Sendable, Equatable {
    /// Seconds, monotonic.
    public var time: Double
    /// SRT msRTT or TCP_INFO tcpi_rtt.
    public var rttMs: Double?
    /// Our bytes not yet on the wire: app queue + socket send buffer (SIOCOUTQ) or SRT send buffer.
    public var queuedBytes: Int
    /// SRT msSndBuf, or the app-computed age of the oldest queued byte.
    public var queuedMs: Double?
    /// Cumulative bytes handed to the transport.
    public var sentBytesTotal: Int
    /// TCP_INFO tcpi_delivery_rate, or SRT mbpsBandwidth / mbpsSendRate (in kbit/s).
    public var deliveryRateKbps: Double?
    /// 0...1 send loss since the previous sample (SRT).
    public var lossRate: Double?
    /// Cumulative retransmitted packets.
    public var retransmitsTotal: Int?
    /// Cumulative bytes the far end confirmed (RTMP Acknowledgements), when it does; any origin.
    public var ackedBytesTotal: Int?

    public init(time: Double, rttMs: Double? = nil, queuedBytes: Int = 0, queuedMs: Double? = nil,
                sentBytesTotal: Int = 0, deliveryRateKbps: Double? = nil, lossRate: Double? = nil,
                retransmitsTotal: Int? = nil, ackedBytesTotal: Int? = nil) {
        self.time = time
        self.rttMs = rttMs
        self.queuedBytes = queuedBytes
        self.queuedMs = queuedMs
        self.sentBytesTotal = sentBytesTotal
        self.deliveryRateKbps = deliveryRateKbps
        self.lossRate = lossRate
        self.retransmitsTotal = retransmitsTotal
        self.ackedBytesTotal = ackedBytesTotal
    }
}

/// What the encoder should give up beyond bitrate when even the minimum does not fit.
public enum QualityStep: Sendable, Equatable {
    case full, halfFrameRate, reducedResolution
}

public struct RateDecision: Sendable, Equatable {
    public var bitrateKbps: Int
    public var step: QualityStep
    /// Discard queued media up to the next keyframe: the local queue exceeds the latency budget.
    public var dropToKeyframe: Bool

    public init(bitrateKbps: Int, step: QualityStep = .full, dropToKeyframe: Bool = false) {
        self.bitrateKbps = bitrateKbps
        self.step = step
        self.dropToKeyframe = dropToKeyframe
    }
}

public enum RatePolicyName: String, CaseIterable, Sendable {
    case fixed, obs, belacoder, gcc, sluice
}

public struct RateController: Sendable {
    public let policy: RatePolicyName
    public let minKbps: Int
    public let maxKbps: Int
    public let startKbps: Int
    public let latencyBudgetMs: Double
    private var state: PolicyState
    private var last: RateDecision

    /// `srtLatencyMs` is what belacoder compares RTT against (its default, 2000 ms, when nil).
    public init(policy: RatePolicyName, minKbps: Int, maxKbps: Int, startKbps: Int, latencyBudgetMs: Double = 500,
                srtLatencyMs: Double? = nil) {
        let lo = max(1, min(minKbps, maxKbps))
        let hi = max(lo, maxKbps)
        let start = min(max(startKbps, lo), hi)
        let range = RateRange(minKbps: Double(lo), maxKbps: Double(hi), startKbps: Double(start))
        self.policy = policy
        self.minKbps = lo
        self.maxKbps = hi
        self.startKbps = start
        self.latencyBudgetMs = latencyBudgetMs
        self.last = RateDecision(bitrateKbps: start)
        switch policy {
        case .fixed: state = .fixed
        case .obs: state = .obs(OBSPolicy(range: range))
        case .belacoder: state = .belacoder(BelacoderPolicy(range: range, srtLatencyMs: srtLatencyMs ?? 2000))
        case .gcc: state = .gcc(GCCPolicy(range: range))
        case .sluice: state = .sluice(SluicePolicy(range: range, latencyBudgetMs: latencyBudgetMs))
        }
    }

    /// The decision most recently returned (the start rate before the first sample).
    public var current: RateDecision { last }

    /// Sluice's phase (cruise, probe, drain) for the stats file, so a measured run shows why the
    /// rate moved; nil for the other policies.
    public var phase: String? {
        if case .sluice(let p) = state { return "\(p.mode)" }
        return nil
    }

    public mutating func update(_ sample: LinkSample, now: Double) -> RateDecision {
        switch state {
        case .fixed:
            last = RateDecision(bitrateKbps: startKbps)
        case .obs(var p):
            last = p.update(sample, now: now)
            state = .obs(p)
        case .belacoder(var p):
            last = p.update(sample, now: now)
            state = .belacoder(p)
        case .gcc(var p):
            last = p.update(sample, now: now)
            state = .gcc(p)
        case .sluice(var p):
            last = p.update(sample, now: now)
            state = .sluice(p)
        }
        return last
    }
}

private enum PolicyState: Sendable {
    case fixed
    case obs(OBSPolicy)
    case belacoder(BelacoderPolicy)
    case gcc(GCCPolicy)
    case sluice(SluicePolicy)
}

struct RateRange: Sendable {
    var minKbps: Double
    var maxKbps: Double
    var startKbps: Double
    func clamp(_ kbps: Double) -> Double { min(max(kbps, minKbps), maxKbps) }
}

/// Rate at which our bytes leave the sender (handed over minus still queued): the throughput the
/// path actually carries, measured over a sliding window. A cumulative counter that goes
/// backwards (a reconnect) restarts the window rather than producing a negative rate.
struct DeliveryMeter: Sendable {
    struct Point: Sendable { var time: Double; var bytes: Int }
    private(set) var points: [Point] = []
    let window: Double
    /// Count what the far end acknowledged when the sample has it (not OBS: it counts send()).
    let useAcks: Bool

    init(window: Double, useAcks: Bool = true) {
        self.window = window
        self.useAcks = useAcks
    }

    mutating func add(_ sample: LinkSample, now: Double) {
        // What the far end acknowledged when it says so (RTMP acks), else what left our hands.
        let acked = useAcks ? sample.ackedBytesTotal : nil
        var delivered = acked ?? max(0, sample.sentBytesTotal - sample.queuedBytes)
        if let lastPoint = points.last {
            if delivered < lastPoint.bytes / 2 || now < lastPoint.time {
                points.removeAll() // a reconnect: the counters started again
            } else {
                // A small step back (the send buffer grew faster than the total, media dropped
                // from the local queue) is no delivery, not a reason to forget the window.
                delivered = max(delivered, lastPoint.bytes)
            }
        }
        points.append(Point(time: now, bytes: delivered))
        while let first = points.first, now - first.time > window, points.count > 2 { points.removeFirst() }
    }

    mutating func reset() { if let lastPoint = points.last { points = [lastPoint] } }

    /// kbit/s over the points no older than `span` seconds (nil until `minSpan` is covered).
    func rateKbps(span: Double? = nil, minSpan: Double = 0) -> Double? {
        guard let newest = points.last else { return nil }
        let from = span.map { newest.time - $0 } ?? -Double.infinity
        guard let oldest = points.first(where: { $0.time >= from - 1e-9 }) else { return nil }
        let dt = newest.time - oldest.time
        guard dt > 0, dt >= minSpan else { return nil }
        return Double(newest.bytes - oldest.bytes) * 8 / 1000 / dt
    }

    var coveredSpan: Double {
        guard let a = points.first, let b = points.last else { return 0 }
        return b.time - a.time
    }
}
