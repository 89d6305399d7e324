import Foundation

/// Pensieve's fixed test environment (`sim/fixed_env.py` and the `test/*.py` drivers), step for step:
/// 4 s chunks over a looping trace, 80 ms RTT per chunk, 95 % payload, a 60 s buffer cap drained in
/// 500 ms sleeps, the first chunk at level 1, QoE counted on chunks 2…48. The arithmetic follows the
/// original in milliseconds so that BBA reproduces 0.6392 QoE_lin on the HSDPA test set.
public struct ChunkSimulator: Sendable {
    public static let envivioKbps: [Double] = [300, 750, 1200, 1850, 2850, 4300]

    public var bitratesKbps: [Double]
    public var sizes: ChunkSizes
    public var chunkMs = 4000.0
    public var totalChunks = 48
    public var rttMs = 80.0
    public var payloadPortion = 0.95
    public var bufferCapMs = 60_000.0
    public var sleepMs = 500.0
    public var firstLevel = 1

    public init(bitratesKbps: [Double] = ChunkSimulator.envivioKbps, sizes: ChunkSizes = .envivio) {
        self.bitratesKbps = bitratesKbps
        self.sizes = sizes
    }

    /// One chunk as downloaded.
    public struct Chunk: Sendable, Equatable {
        public var level: Int
        public var bytes: Double
        public var delayMs: Double
        public var rebufferSeconds: Double
        public var bufferSeconds: Double
    }

    /// Plays the video once over `trace` with `policy` (reset first).
    public func run(_ policy: inout some ChunkPolicy, on trace: Trace) -> [Chunk] {
        policy.reset()
        var ptr = 1
        var lastTime = trace.times[0]
        var bufferMs = 0.0
        var level = firstLevel
        var chunks: [Chunk] = []
        let n = trace.times.count
        for index in 0..<totalChunks {
            let size = sizes.bytes(level: level, index: index)
            var delay = 0.0
            var sent = 0.0
            while true {
                let throughput = trace.mbps[ptr] * 1_000_000 / 8
                let duration = trace.times[ptr] - lastTime
                let payload = throughput * duration * payloadPortion
                if sent + payload > size {
                    let fractional = (size - sent) / throughput / payloadPortion
                    delay += fractional
                    lastTime += fractional
                    break
                }
                sent += payload
                delay += duration
                lastTime = trace.times[ptr]
                ptr += 1
                if ptr >= n {
                    ptr = 1
                    lastTime = 0
                }
            }
            delay *= 1000
            delay += rttMs
            let rebufferMs = max(delay - bufferMs, 0)
            bufferMs = max(bufferMs - delay, 0)
            bufferMs += chunkMs
            if bufferMs > bufferCapMs {
                var sleep = ((bufferMs - bufferCapMs) / sleepMs).rounded(.up) * sleepMs
                bufferMs -= sleep
                while true {
                    let duration = trace.times[ptr] - lastTime
                    if duration > sleep / 1000 {
                        lastTime += sleep / 1000
                        break
                    }
                    sleep -= duration * 1000
                    lastTime = trace.times[ptr]
                    ptr += 1
                    if ptr >= n {
                        ptr = 1
                        lastTime = 0
                    }
                }
            }
            let chunk = Chunk(level: level, bytes: size, delayMs: delay, rebufferSeconds: rebufferMs / 1000,
                              bufferSeconds: bufferMs / 1000)
            chunks.append(chunk)
            if index + 1 < totalChunks {
                let context = ChunkContext(
                    bitratesKbps: bitratesKbps, chunkSeconds: chunkMs / 1000, bufferCapSeconds: bufferCapMs / 1000,
                    lastLevel: level, bufferSeconds: bufferMs / 1000, nextIndex: index + 1, totalChunks: totalChunks,
                    lastBytes: size, lastDownloadSeconds: delay / 1000, lastRebufferSeconds: rebufferMs / 1000,
                    lastFirstByteSeconds: rttMs / 1000, sizes: sizes)
                level = min(max(policy.next(context), 0), bitratesKbps.count - 1)
            }
        }
        return chunks
    }
}
