import CFFmpeg
import FFmpegBridge
import MediaCore
@testable import TSIngest

/// The fuzzer's bytes as the SRT publisher's stream: `Demuxer`'s custom AVIO reads them.
final class MemoryInput {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
        offset += n
        return n
    }
}

/// libFuzzer entry: the input is MPEG-TS as an SRT publisher sends it, through what
/// `SRTPublishSession` does with it: libavformat's mpegts demuxer over a custom AVIO (same
/// options), the codec refusal, then every packet through `TSUnitBuilder` (Annex B → avcC /
/// hvcC with the SPS parsers, ADTS → AudioSpecificConfig). Not covered: the AAC transcode of
/// MP2/AC-3 audio. FFmpeg itself is not instrumented (Debian's build): coverage guides through
/// the Swift side, and ASan still sees its heap through malloc.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    av_log_set_level(-8) // AV_LOG_QUIET: corrupt input is the point, its log lines are noise
    let input = MemoryInput(Array(UnsafeBufferPointer(start: data, count: size)))
    guard let demuxer = try? Demuxer(format: "mpegts", options: ["probesize": "500000", "analyzeduration": "500000"],
                                     read: { input.read(into: $0) }) else { return 0 }
    let carried = demuxer.streams.map { (index: $0.index, codecName: $0.codecName, kind: $0.kind, hint: $0.track) }
    if TSUnitBuilder.refusal(streams: carried.map { ($0.codecName, $0.kind) }) != nil { return 0 }
    var builder = TSUnitBuilder(streams: carried.map { ($0.index, $0.codecName, $0.hint) })
    _ = builder.unsupportedCodecs
    var failures = 0
    while true {
        let packet: Packet?
        do {
            packet = try demuxer.read()
            failures = 0
        } catch {
            failures += 1
            if failures > 100 { return 0 }
            continue
        }
        guard let packet else { return 0 }
        let index = Int(packet.streamIndex)
        guard index < demuxer.streams.count else { continue }
        let tb = demuxer.streams[index].timebase
        let dts = packet.dts == noPTS ? packet.pts : packet.dts
        let pts = packet.pts == noPTS ? dts : packet.pts
        if pts == noPTS { continue }
        guard let units = try? builder.units(stream: index, bytes: Array(packet.bytes), pts: pts, dts: dts, timebase: tb,
                                             wallClock: 0) else { return 0 } // the publish would end
        if builder.tracksChanged {
            builder.tracksChanged = false
            for track in builder.tracks where track.kind == .video {
                precondition(track.width > 0 && track.height > 0, "video track without a size")
            }
        }
        _ = units.count
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; hand over to libFuzzer's driver.
@_cdecl("fuzz_ts_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
