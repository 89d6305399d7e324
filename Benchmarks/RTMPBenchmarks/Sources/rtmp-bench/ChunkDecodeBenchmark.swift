import CRTMPBenchMallocCounter
import Foundation
import NIOCore
import RTMP

/// Chunk-stream decoding throughput: a 10 s publish (3 Mbit/s H.264 at 30 fps with 1 s GOPs,
/// AAC every 23 ms) encoded once, then decoded repeatedly as the server does it: 64 KiB socket
/// reads into NIOSingleStepByteToMessageProcessor<RTMPChunkDecoder>.
struct ChunkDecodeBenchmark {
    var chunkSize: UInt32
    /// false: the decoder alone on the whole stream in memory (no socket-read framing).
    var throughProcessor = true
    var seconds: Double = 3

    func makeStream() -> (ByteBuffer, Int) {
        var encoder = RTMPChunkEncoder()
        var out = ByteBuffer()
        var count = 0
        func add(_ m: RTMPMessage) { encoder.encode(m, into: &out); count += 1 }
        add(RTMPControlMessages.setChunkSize(chunkSize))
        var audioTime = 0.0
        for frame in 0..<300 {
            let ts = UInt32(frame * 1000 / 30)
            let size = frame % 30 == 0 ? 60_000 : 10_000
            add(RTMPMessage(chunkStreamID: 6, type: .video, streamID: 1, timestamp: ts,
                            payload: ByteBuffer(repeating: UInt8(frame & 0xFF), count: size)))
            while audioTime <= Double(ts) {
                add(RTMPMessage(chunkStreamID: 4, type: .audio, streamID: 1, timestamp: UInt32(audioTime),
                                payload: ByteBuffer(repeating: 0xAF, count: 370)))
                audioTime += 1024.0 / 44.1
            }
        }
        return (out, count)
    }

    func run() throws -> String {
        let (stream, messagesPerPass) = makeStream()
        var passes = 0
        var messages = 0
        let allocationsBefore = crtmpbench_allocation_count()
        let start = ContinuousClock.now
        var elapsed = Duration.zero
        while elapsed < .milliseconds(Int(seconds * 1000)) {
            if throughProcessor {
                let processor = NIOSingleStepByteToMessageProcessor(RTMPChunkDecoder())
                var input = stream
                while input.readableBytes > 0 {
                    let read = input.readSlice(length: min(65_536, input.readableBytes))!
                    try processor.process(buffer: read) { (_: RTMPMessage) in messages += 1 }
                }
            } else {
                var decoder = RTMPChunkDecoder()
                var input = stream
                while try decoder.decode(buffer: &input) != nil { messages += 1 }
            }
            passes += 1
            elapsed = ContinuousClock.now - start
        }
        let allocations = crtmpbench_allocation_count() - allocationsBefore
        precondition(messages == passes * messagesPerPass, "decoded \(messages), expected \(passes * messagesPerPass)")
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let mb = Double(stream.readableBytes * passes) / 1_000_000
        return String(format: "%@ chunk size %5d: %8.1f MB/s, %9.0f messages/s, %.2f allocations/message (%d passes of %d messages, %.1f MB)",
                      throughProcessor ? "64 KiB reads," : "in memory,   ", chunkSize, mb / secs, Double(messages) / secs, Double(allocations) / Double(messages),
                      passes, messagesPerPass, Double(stream.readableBytes) / 1_000_000)
    }
}
