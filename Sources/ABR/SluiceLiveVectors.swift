/// Recorded inputs and decisions of `SluiceLive`, for checking a port of the policy (the hls.js
/// controller) against the Swift one: every 7th decision of the live simulator over the Twitch
/// profiles with 0.5 s and 0.2 s parts, plus edge cases (no sample, one level, burst-timed parts).
public enum SluiceLiveVectors {
    public struct Vector: Sendable, Equatable, Codable {
        public var input: LiveInput
        public var decision: LiveDecision
    }

    struct Recorder: LivePolicy {
        var inner = SluiceLive()
        var name: String { inner.name }
        var vectors: [Vector] = []
        var count = 0

        mutating func decide(_ input: LiveInput) -> LiveDecision {
            let d = inner.decide(input)
            if count % 7 == 0 { vectors.append(Vector(input: input, decision: d)) }
            count += 1
            return d
        }
    }

    public static func record() -> [Vector] {
        var all: [Vector] = []
        for part in [0.5, 0.2] {
            let simulator = LiveSimulator(partSeconds: part)
            for profile in LiveProfile.twitch {
                var recorder = Recorder()
                _ = simulator.run(&recorder, on: profile)
                all += recorder.vectors
            }
        }
        let burst = DownloadSample(bytes: 1171, firstByteMs: 29, transferMs: 0.3, mediaSeconds: 0.2)
        var edges = [
            LiveInput(bitratesKbps: [200, 600, 1000], currentLevel: 0, bufferSeconds: 0, latencySeconds: 1.5,
                      targetLatencySeconds: 1.5, partSeconds: 0.5, samples: []),
            LiveInput(bitratesKbps: [800], currentLevel: 0, bufferSeconds: 1, latencySeconds: 1.5,
                      targetLatencySeconds: 1.5, partSeconds: 0.5, samples: [burst]),
            LiveInput(bitratesKbps: [300, 750, 1200, 1850, 2850, 4300], currentLevel: 5, bufferSeconds: 0.4, latencySeconds: 3.2,
                      targetLatencySeconds: 1.5, partSeconds: 0.33, samples: [burst, burst]),
        ]
        // hls.js's controller: five 0.24 s parts per segment, a playlist load before a switch.
        let slow = DownloadSample(bytes: 14_000, firstByteMs: 180, transferMs: 170, mediaSeconds: 0.24)
        let fast = DownloadSample(bytes: 14_000, firstByteMs: 40, transferMs: 60, mediaSeconds: 0.24)
        for (buffer, switchSeconds) in [(0.3, 0.25), (1.2, 0.25), (2.5, 0.0), (0.9, 0.6)] {
            for current in [1, 3] {
                edges.append(LiveInput(bitratesKbps: [114, 245, 459, 723], currentLevel: current, bufferSeconds: buffer,
                                       latencySeconds: buffer + 0.8, targetLatencySeconds: 1.5, partSeconds: 0.24,
                                       samples: [fast, fast, slow, fast, slow, fast], commitParts: 5,
                                       switchSeconds: switchSeconds))
            }
        }
        let policy = SluiceLive()
        for input in edges { all.append(Vector(input: input, decision: policy.decide(input))) }
        return all
    }
}
