// Placeholder with the agreed contract until branch `ratecontrol` lands (merged over this file).

public struct LinkSample: Sendable, Equatable {
    public var time: Double
    public var rttMs: Double?
    public var queuedBytes: Int
    public var queuedMs: Double?
    public var sentBytesTotal: Int
    public var deliveryRateKbps: Double?
    public var lossRate: Double?
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

public enum QualityStep: Sendable, Equatable {
    case full, halfFrameRate, reducedResolution
}

public struct RateDecision: Sendable, Equatable {
    public var bitrateKbps: Int
    public var step: QualityStep
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

    public var current: RateDecision { last }

    /// Placeholder policy: halve on a queue over a third of the budget, +5 % per sample otherwise.
    public mutating func update(_ sample: LinkSample, now: Double) -> RateDecision {
        guard policy != .fixed else { return last }
        let queued = sample.queuedMs ?? 0
        var rate = Double(last.bitrateKbps)
        if queued > latencyBudgetMs / 3 { rate *= 0.9 } else if queued < 50 { rate *= 1.01 }
        let kbps = min(maxKbps, max(minKbps, Int(rate)))
        last = RateDecision(bitrateKbps: kbps, step: kbps <= minKbps ? .halfFrameRate : .full,
                            dropToKeyframe: queued > latencyBudgetMs)
        return last
    }
}
