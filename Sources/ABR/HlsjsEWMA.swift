/// hls.js's abr-controller rules (`findBestLevel`, hls.js 1.6): an EWMA bandwidth estimate
/// (fast 3 s / slow 9 s half-lives, the smaller wins) of load time minus the TTFB estimate; from the
/// top level down, the first level whose bitrate fits 0.95 × the estimate (0.7 × for an up-switch)
/// and, outside live, that loads before the buffer runs out; failing that, one that stalls at most
/// min(fragment, 4 s); failing that the lowest level. The fragment-abandon rule is not modelled.
public struct HlsjsEWMA: ChunkPolicy, LivePolicy, Sendable {
    public let name = "ewma"
    public var bwFactor = 0.95
    public var bwUpFactor = 0.7
    public var maxStarvationDelay = 4.0
    private var estimator = EWMABandwidthEstimator()

    public init() {}

    public mutating func reset() { estimator = EWMABandwidthEstimator() }

    /// -1 when no level qualifies.
    func findBestLevel(bitrates: [Double], current: Int, bufferStarvation: Double, maxStarvation: Double,
                       fragmentSeconds: Double, live: Bool) -> Int {
        let bw = estimator.estimateBps
        let ttfb = estimator.ttfbMs / 1000
        let maxFetch = bufferStarvation + maxStarvation
        var i = bitrates.count - 1
        while i >= 0 {
            let adjusted = (i > current ? bwUpFactor : bwFactor) * bw
            let bitrate = bitrates[i] * 1000
            let fetch = ttfb + bitrate * fragmentSeconds / adjusted
            if adjusted >= bitrate && (fetch <= ttfb || !fetch.isFinite || live || fetch < maxFetch) { return i }
            i -= 1
        }
        return -1
    }

    func nextAutoLevel(bitrates: [Double], current: Int, buffer: Double, fragmentSeconds: Double, live: Bool) -> Int {
        if buffer > 0 {
            let best = findBestLevel(bitrates: bitrates, current: current, bufferStarvation: buffer, maxStarvation: 0,
                                     fragmentSeconds: fragmentSeconds, live: live)
            if best >= 0 { return best }
        }
        let best = findBestLevel(bitrates: bitrates, current: current, bufferStarvation: buffer,
                                 maxStarvation: min(fragmentSeconds, maxStarvationDelay), fragmentSeconds: fragmentSeconds, live: live)
        return best >= 0 ? best : 0
    }

    public mutating func next(_ c: ChunkContext) -> Int {
        // hls.js samples the TTFB at load, then times the fragment against the updated estimate.
        let ttfbMs = c.lastFirstByteSeconds * 1000
        estimator.sampleTTFB(ms: ttfbMs)
        let processing = c.lastDownloadSeconds * 1000 - min(ttfbMs, estimator.ttfbMs)
        estimator.sample(durationMs: processing, bytes: c.lastBytes)
        return nextAutoLevel(bitrates: c.bitratesKbps, current: c.lastLevel, buffer: c.bufferSeconds,
                             fragmentSeconds: c.chunkSeconds, live: false)
    }

    public mutating func decide(_ input: LiveInput) -> LiveDecision {
        if let s = input.samples.last {
            estimator.sampleTTFB(ms: s.firstByteMs)
            let processing = s.totalMs - min(s.firstByteMs, estimator.ttfbMs)
            estimator.sample(durationMs: processing, bytes: s.bytes)
        }
        let level = nextAutoLevel(bitrates: input.bitratesKbps, current: input.currentLevel, buffer: input.bufferSeconds,
                                  fragmentSeconds: input.partSeconds, live: true)
        return LiveDecision(level: level, playbackRate: HlsjsLatencyRate.rate(input))
    }
}
