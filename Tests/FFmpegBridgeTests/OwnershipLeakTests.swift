import CFFmpeg
import CMediaShims
import FFmpegBridge
import Foundation
import Testing

/// Finding 1: initializers that throw after allocating (swr_init failing, a demuxer that
/// cannot open its input) free what they allocated. Run alone, like LeakTests (process-wide heap).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SLUICE_LEAK_TEST"] == "1"))
struct OwnershipLeakTests {
    static func failInits(_ count: Int) {
        for _ in 0..<count {
            _ = try? Resampler(inputRate: 0, inputChannels: 2, inputFormat: AV_SAMPLE_FMT_FLTP,
                               outputRate: 48000, outputChannels: 2, outputFormat: AV_SAMPLE_FMT_FLTP)
            _ = try? Demuxer(format: "mpegts") { _ in 0 }
        }
    }

    @Test func failedInitializersKeepTheHeapFlat() {
        Self.failInits(200) // warm up allocator pools
        let start = Int(sluice_heap_bytes_in_use())
        Self.failInits(2000)
        let grown = Int(sluice_heap_bytes_in_use()) - start
        // A leaked SwrContext alone is tens of KB: 2,000 of them would be tens of MB.
        #expect(grown < 2 << 20, "heap grew by \(grown) bytes over 2,000 failed initializers")
    }
}
