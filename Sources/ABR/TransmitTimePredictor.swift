/// Sluice's transmit-time predictor: time = first-byte latency + bytes / robust throughput.
///
/// Stateless on purpose: it reads only the window of samples it is given, so a JavaScript port fed
/// the same window computes the same prediction. The throughput is the harmonic mean of the last
/// `window` first-byte-timed samples, divided by (1 + errorWeight × the largest relative error that
/// the same rule made on the last `errorWindow` samples of the window) — RobustMPC's discount,
/// measured inside the window instead of from remembered predictions.
///
/// Step detection (`stepUpRatio` > 0): when the latest sample is above `stepUpRatio` × the
/// harmonic mean of the window before it, the link has stepped up and the prediction restarts from
/// that sample alone. A harmonic mean straddling a step is dominated by the old, slow samples and
/// would hold the player a level too low for a whole window (the Twitch jitter profiles: 500 ↔ 1200
/// kbit/s every 5 s). Falls are left to the error discount, which already reacts within a sample.
/// A sample that arrived in under `stepUpMinTransferMs` cannot start a step: that is a burst out of
/// a socket buffer (a few-kB LL-HLS part read at 15 Mbit/s in Chromium), not the link.
public struct TransmitTimePredictor: Sendable, Equatable {
    public var window: Int
    public var errorWindow: Int
    public var errorWeight: Double
    public var stepUpRatio: Double
    public var stepUpMinTransferMs = 10.0

    public init(window: Int = 5, errorWindow: Int = 5, errorWeight: Double = 1, stepUpRatio: Double = 0) {
        self.window = max(1, window)
        self.errorWindow = max(0, errorWindow)
        self.errorWeight = errorWeight
        self.stepUpRatio = stepUpRatio
    }

    /// Robust throughput from samples (any unit, oldest first); 0 with no samples.
    public func throughput(_ samples: [Double], latestCanStep: Bool = true) -> Double {
        let n = samples.count
        guard n > 0 else { return 0 }
        if stepUpRatio > 0 && n > 1 && latestCanStep {
            let before = HarmonicMeanEstimator.harmonicMean(Array(samples[max(0, n - 1 - window)..<(n - 1)]))
            if samples[n - 1] > before * stepUpRatio { return samples[n - 1] }
        }
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
        throughput(samples.map(PartThroughput.kbps), latestCanStep: (samples.last?.transferMs ?? 0) >= stepUpMinTransferMs)
    }

    /// The slowest first-byte-timed sample of the window, kbit/s; 0 with no samples.
    public func slowestKbps(_ samples: [DownloadSample]) -> Double {
        let n = samples.count
        guard n > 0 else { return 0 }
        var m = PartThroughput.kbps(samples[max(0, n - window)])
        for s in samples[max(0, n - window)..<n] {
            let k = PartThroughput.kbps(s)
            if k < m { m = k }
        }
        return m
    }

    /// Harmonic mean of every first-byte-timed sample given (not only the window), kbit/s; 0
    /// with no samples. The longer record, for decisions that commit to more than a part.
    public func longKbps(_ samples: [DownloadSample]) -> Double {
        HarmonicMeanEstimator.harmonicMean(samples.map(PartThroughput.kbps))
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
