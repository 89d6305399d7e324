import Foundation

/// hls.js's `EwmaBandWidthEstimator`: a fast and a slow EWMA of throughput (bit/s) weighted by
/// download seconds; the estimate is the smaller of the two, so it drops fast and rises slowly.
/// Half-lives default to hls.js's live values (abrEwmaFastLive 3 s, abrEwmaSlowLive 9 s).
public struct EWMABandwidthEstimator: Sendable, Equatable {
    public var defaultEstimateBps: Double
    private var fast: EWMA
    private var slow: EWMA
    private var ttfb: EWMA
    private let minWeight = 0.001
    private let minDelayMs = 50.0
    private let defaultTTFBMs: Double

    public init(fastHalfLife: Double = 3, slowHalfLife: Double = 9, defaultEstimateBps: Double = 500_000,
                defaultTTFBMs: Double = 100) {
        fast = EWMA(halfLife: fastHalfLife)
        slow = EWMA(halfLife: slowHalfLife)
        ttfb = EWMA(halfLife: slowHalfLife)
        self.defaultEstimateBps = defaultEstimateBps
        self.defaultTTFBMs = defaultTTFBMs
    }

    /// One download of `bytes` that took `durationMs` (hls.js passes load time minus the TTFB estimate).
    public mutating func sample(durationMs: Double, bytes: Double) {
        guard bytes > 0 else { return }
        let minDelay = min(minDelayMs, bytes / 100_000)
        let durationS = max(durationMs, minDelay) / 1000
        let bps = 8 * bytes / durationS
        fast.sample(weight: durationS, value: bps)
        slow.sample(weight: durationS, value: bps)
    }

    public mutating func sampleTTFB(ms: Double) {
        let seconds = ms / 1000
        let weight = 2.0.squareRoot() * exp(-(seconds * seconds) / 2)
        ttfb.sample(weight: weight, value: max(ms, 5))
    }

    public var canEstimate: Bool { fast.totalWeight >= minWeight }

    /// Bits per second.
    public var estimateBps: Double { canEstimate ? min(fast.value, slow.value) : defaultEstimateBps }

    public var ttfbMs: Double { ttfb.totalWeight >= minWeight ? ttfb.value : defaultTTFBMs }
}
