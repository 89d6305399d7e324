import ABR
import Foundation

/// The HSDPA test traces, copied from shared/data/abr/hsdpa-test into the repository so CI has them.
let hsdpaTestFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/hsdpa-test").path

/// Always the same level: isolates the simulator from the policies.
struct FixedLevel: ChunkPolicy, LivePolicy {
    let name = "fixed"
    var level: Int
    mutating func reset() {}
    mutating func next(_ c: ChunkContext) -> Int { level }
    mutating func decide(_ input: LiveInput) -> LiveDecision { LiveDecision(level: level, playbackRate: 1) }
}

func context(lastLevel: Int = 1, buffer: Double = 10, bytes: Double = 1_000_000, seconds: Double = 4,
             firstByte: Double = 0.08, next: Int = 1) -> ChunkContext {
    ChunkContext(bitratesKbps: ChunkSimulator.envivioKbps, chunkSeconds: 4, bufferCapSeconds: 60, lastLevel: lastLevel,
                 bufferSeconds: buffer, nextIndex: next, totalChunks: 48, lastBytes: bytes, lastDownloadSeconds: seconds,
                 lastRebufferSeconds: 0, lastFirstByteSeconds: firstByte, sizes: .envivio)
}

func liveInput(level: Int = 0, buffer: Double = 1, latency: Double = 1.5, samples: [DownloadSample] = []) -> LiveInput {
    LiveInput(bitratesKbps: [200, 600, 1000], currentLevel: level, bufferSeconds: buffer, latencySeconds: latency,
              targetLatencySeconds: 1.5, partSeconds: 0.5, samples: samples)
}

/// A part of `kbps` first-byte throughput: 0.5 s of media, 100 ms from first to last byte.
func sample(kbps: Double) -> DownloadSample {
    DownloadSample(bytes: kbps * 100 / 8, firstByteMs: 20, transferMs: 100, mediaSeconds: 0.5)
}
