import Foundation

/// Exponentially weighted moving average with a half-life in units of sample weight, as hls.js's
/// `src/utils/ewma.ts` does it: the weight of a sample is its duration, and the estimate is divided
/// by `1 - alpha^totalWeight` so that early estimates are not biased toward zero.
public struct EWMA: Sendable, Equatable {
    public let halfLife: Double
    private let alpha: Double
    private var estimate: Double
    public private(set) var totalWeight: Double

    public init(halfLife: Double, estimate: Double = 0, weight: Double = 0) {
        self.halfLife = halfLife
        alpha = halfLife > 0 ? exp(log(0.5) / halfLife) : 0
        self.estimate = estimate
        totalWeight = weight
    }

    public mutating func sample(weight: Double, value: Double) {
        let adjAlpha = pow(alpha, weight)
        estimate = value * (1 - adjAlpha) + adjAlpha * estimate
        totalWeight += weight
    }

    public var value: Double {
        if alpha > 0 {
            let zeroFactor = 1 - pow(alpha, totalWeight)
            if zeroFactor != 0 { return estimate / zeroFactor }
        }
        return estimate
    }
}
