import Foundation

/// hls.js's latency-controller catch-up rate, given to the baselines that have none of their own:
/// within the live range, more than 50 ms behind the target and more than 1 s of buffer, the rate is
/// a sigmoid of the distance rounded to 0.05, between 1 and `maxLiveSyncPlaybackRate` (1.5 here;
/// hls.js's default of 1 disables catch-up).
public enum HlsjsLatencyRate {
    public static let maxLiveSyncPlaybackRate = 1.5

    public static func rate(_ input: LiveInput) -> Double {
        let distance = input.latencySeconds - input.targetLatencySeconds
        guard distance > 0.05, input.bufferSeconds > 1 else { return 1 }
        let rate = ((2 / (1 + exp(-0.75 * distance))) * 20).rounded() / 20
        return min(maxLiveSyncPlaybackRate, max(1, rate))
    }
}
