import MediaCore
@testable import TSIngest

/// Stream layouts a publisher's PMT can announce (index → FFmpeg codec name).
let layouts: [[(index: Int, codecName: String, hint: TrackInfo?)]] = [
    [(0, "h264", nil), (1, "aac", nil)],
    [(0, "hevc", nil), (1, "aac", nil)],
    [(0, "h264", nil)],
    [(0, "aac", nil)],
    [(0, "h264", nil), (1, "mp2", nil), (2, "aac", nil)],
]

/// libFuzzer entry: `TSUnitBuilder` fed demuxed packets directly, thousands of times faster
/// than through libavformat (fuzz-ts). Byte 0 picks the layout; then records of
/// [stream index][length: 2 bytes][payload], each with a pts from the record's position.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    var builder = TSUnitBuilder(streams: layouts[Int(input[0]) % layouts.count])
    var at = 1
    var n: Int64 = 0
    while at + 3 <= size {
        let index = Int(input[at] % 3)
        let length = min(Int(input[at + 1]) << 8 | Int(input[at + 2]), size - at - 3)
        let bytes = Array(input[(at + 3)..<(at + 3 + length)])
        at += 3 + length
        n += 1
        guard let units = try? builder.units(stream: index, bytes: bytes, pts: n * 3000, dts: n * 3000,
                                             timebase: Rational(1, 90_000), wallClock: 0) else { return 0 }
        for unit in units { precondition(unit.data.readableBytes > 0 || unit.track == .audio, "empty video unit") }
        if builder.tracksChanged {
            builder.tracksChanged = false
            for track in builder.tracks where track.kind == .video {
                precondition(track.width > 0 && track.height > 0, "video track without a size")
            }
        }
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; hand over to libFuzzer's driver.
@_cdecl("fuzz_tsunits_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzz)
}
