import CFFmpeg
import CMediaShims
import FFmpegBridge
import Foundation
import Testing

/// Every owned wrapper frees what it allocated: 1,000 full encode/decode round trips
/// (fresh encoder, decoder, frames and packets each time) keep the heap flat.
///
/// The heap is process-wide, so this runs alone: `make test` runs it in a second, isolated
/// `swift test` pass with SLUICE_LEAK_TEST=1. It measures malloc's bytes in use, not the
/// resident set: RSS moved by ±2 MB between thousands as arenas were trimmed, which once
/// failed a clean run.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SLUICE_LEAK_TEST"] == "1"))
struct LeakTests {
    static func residentBytes() -> Int {
        // /proc/self/statm: size resident shared ... in pages.
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func roundTrip(_ index: Int) throws -> Int {
        var settings = VideoEncoderSettings(width: 64, height: 64, timebase: .init(1, 30), frameRate: .init(30, 1),
                                            bitrate: 200_000, gopSize: 10, options: ["preset": "ultrafast", "tune": "zerolatency"])
        settings.threads = 1
        let encoder = try Encoder(video: settings)
        let decoder = try Decoder(codecName: "h264", extradata: encoder.extradata)
        let scaler = try Scaler(inputWidth: 64, inputHeight: 64, inputFormat: AV_PIX_FMT_YUV420P,
                                outputWidth: 32, outputHeight: 32)
        var decoded = 0
        for i in 0..<3 {
            let frame = try TestPictures.moving(width: 64, height: 64, index: index + i)
            _ = try scaler.scale(frame)
            for packet in try encoder.encode(frame) { decoded += try decoder.decode(packet).count }
        }
        for packet in try encoder.encode(nil) { decoded += try decoder.decode(packet).count }
        decoded += try decoder.decode(nil).count
        return decoded
    }

    @Test func thousandRoundTripsKeepMemoryFlat() throws {
        #expect(Self.residentBytes() > 0, "cannot read /proc/self/statm")
        var decoded = 0
        for i in 0..<200 { decoded += try Self.roundTrip(i) } // warm up allocator pools
        // Caches settle during the first thousand; a leak keeps growing through the second.
        let start = sluice_heap_bytes_in_use()
        for i in 0..<1000 { decoded += try Self.roundTrip(i) }
        let settled = sluice_heap_bytes_in_use()
        for i in 0..<1000 { decoded += try Self.roundTrip(i) }
        let end = sluice_heap_bytes_in_use()
        #expect(decoded == 2200 * 3)
        let growth = Int(end) - Int(settled)
        print("heap in use: \(start / 1024) KiB, \((Int(settled) - Int(start)) / 1024) KiB change after 1,000 round trips, "
            + "\(growth / 1024) KiB after 1,000 more (resident set now \(Self.residentBytes() / 1024) KiB)")
        // One leaked 64x64 frame per trip alone would be ~6 MB per thousand; a leaked codec context far more.
        #expect(growth < 256 << 10, "heap grew by \(growth / 1024) KiB over the second 1,000 round trips")
    }

    /// Finding 1: initializers that throw after allocating (swr_init failing, a demuxer that
    /// cannot open its input) free what they allocated; a leaked SwrContext is tens of KB.
    @Test func failedInitializersKeepTheHeapFlat() {
        func failInits(_ count: Int) {
            for _ in 0..<count {
                _ = try? Resampler(inputRate: 0, inputChannels: 2, inputFormat: AV_SAMPLE_FMT_FLTP,
                                   outputRate: 48000, outputChannels: 2, outputFormat: AV_SAMPLE_FMT_FLTP)
                _ = try? Demuxer(format: "mpegts") { _ in 0 }
            }
        }
        failInits(200) // warm up allocator pools
        let start = Int(sluice_heap_bytes_in_use())
        failInits(2000)
        let growth = Int(sluice_heap_bytes_in_use()) - start
        #expect(growth < 256 << 10, "heap grew by \(growth / 1024) KiB over 2,000 failed initializers")
    }
}
