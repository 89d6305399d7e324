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

    public init(time: Double, rttMs: Double? = nil, queuedBytes: Int = 0, queuedMs: Double? = nil,
                sentBytesTotal: Int = 0, deliveryRateKbps: Double? = nil, lossRate: Double? = nil,
                retransmitsTotal: Int? = nil) {
        self.time = time
        self.rttMs = rttMs
        self.queuedBytes = queuedBytes
        self.queuedMs = queuedMs
        self.sentBytesTotal = sentBytesTotal
        self.deliveryRateKbps = deliveryRateKbps
        self.lossRate = lossRate
        self.retransmitsTotal = retransmitsTotal
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
    private var last: RateDecision

    public init(policy: RatePolicyName, minKbps: Int, maxKbps: Int, startKbps: Int, latencyBudgetMs: Double = 500) {
        let lo = max(1, min(minKbps, maxKbps))
        let hi = max(lo, maxKbps)
        self.policy = policy
        self.minKbps = lo
        self.maxKbps = hi
        self.startKbps = min(max(startKbps, lo), hi)
        self.latencyBudgetMs = latencyBudgetMs
        self.last = RateDecision(bitrateKbps: self.startKbps)
    }

    /// The decision most recently returned (the start rate before the first sample).
    public var current: RateDecision { last }

    public mutating func update(_ sample: LinkSample, now: Double) -> RateDecision {
        // Skeleton: policies land in phase B; every policy holds the start rate for now.
        last = RateDecision(bitrateKbps: startKbps)
        return last
    }
}
