import Foundation

// rtmp-bench [decode] [fanout [N,N,...] [seconds]]
let args = Array(CommandLine.arguments.dropFirst())
let what = args.first ?? "decode"
emit("rtmp-bench \(what), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Date())")
switch what {
case "decode":
    for size: UInt32 in [128, 4096] {
        for processor in [true, false] {
            emit(try ChunkDecodeBenchmark(chunkSize: size, throughProcessor: processor).run())
        }
    }
case "fanout":
    let counts = args.count > 1 ? args[1].split(separator: ",").compactMap { Int($0) } : [0, 10, 30]
    let seconds = args.count > 2 ? Int(args[2]) ?? 10 : 10
    _ = try await FanoutBenchmark(readerCounts: counts, seconds: seconds).run()
default:
    emit("usage: rtmp-bench [decode | fanout [0,10,30] [seconds]]")
}
