/// Sluice's transmit-time predictor: time = first-byte latency + bytes / robust throughput.
///
/// Stateless on purpose: it reads only the window of samples it is given, so a JavaScript port fed
/// the same window computes the same prediction. The throughput is the harmonic mean of the last
/// `window` first-byte-timed samples, divided by (1 + errorWeight × the largest relative error that
/// the same rule made on the last `errorWindow` samples of the window) — RobustMPC's discount,
/// measured inside the window instead of from remembered predictions.
public struct TransmitTimePredictor: Sendable, Equatable {
    public var window: Int
    public var errorWindow: Int
    public var errorWeight: Double

    public init(window: Int = 5, errorWindow: Int = 5, errorWeight: Double = 1) {
        self.window = max(1, window)
        self.errorWindow = max(0, errorWindow)
        self.errorWeight = errorWeight
    }

    /// Robust throughput from samples (any unit, oldest first); 0 with no samples.
    public func throughput(_ samples: [Double]) -> Double {
        let n = samples.count
        guard n > 0 else { return 0 }
        let estimate = HarmonicMeanEstimator.harmonicMean(Array(samples[max(0, n - window)..<n]))
        var maxError = 0.0
        var j = max(1, n - errorWindow)
        while j < n {
            let predicted = HarmonicMeanEstimator.harmonicMean(Array(samples[max(0, j - window)..<j]))
            let error = abs(predicted - samples[j]) / samples[j]
            if error > maxError { maxError = error }
            j += 1
        }
        return estimate / (1 + errorWeight * maxError)
    }

    /// Robust throughput in kbit/s from download samples, timed from the first byte.
    public func throughputKbps(_ samples: [DownloadSample]) -> Double {
        throughput(samples.map(PartThroughput.kbps))
    }

    /// Predicted first-byte latency, ms: the smallest of the recent ones (the network's part of a
    /// time-to-first-byte; the rest is waiting for the encoder, which does not repeat for a part
    /// that already exists).
    public func firstByteMs(_ samples: [DownloadSample]) -> Double {
        let n = samples.count
        guard n > 0 else { return 0 }
        var m = samples[max(0, n - window)].firstByteMs
        for s in samples[max(0, n - window)..<n] where s.firstByteMs < m { m = s.firstByteMs }
        return m
    }

    /// Seconds to fetch `bytes` given the recent samples; nil without samples.
    public func seconds(bytes: Double, samples: [DownloadSample]) -> Double? {
        let kbps = throughputKbps(samples)
        guard kbps > 0 else { return nil }
        return firstByteMs(samples) / 1000 + bytes * 8 / (kbps * 1000)
    }
}
