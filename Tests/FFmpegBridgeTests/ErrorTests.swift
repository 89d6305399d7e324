import FFmpegBridge
import Logging
import Synchronization
import Testing

@Suite(.serialized) struct ErrorTests {
    @Test func unknownEncoderNameIsAClearError() {
        let error = #expect(throws: FFmpegError.self) {
            _ = try Encoder(video: VideoEncoderSettings(codecName: "libx999", width: 64, height: 64, timebase: .init(1, 30),
                                                        frameRate: .init(30, 1), bitrate: 100_000, gopSize: 30))
        }
        #expect(error?.message.contains("libx999") == true)
        #expect(error?.operation == "avcodec_find_encoder_by_name")
    }

    @Test func unknownDecoderNameIsAClearError() {
        let error = #expect(throws: FFmpegError.self) { _ = try Decoder(codecName: "nonsense") }
        #expect(error?.description.contains("nonsense") == true)
    }

    @Test func unknownPrivateOptionIsRejected() {
        let error = #expect(throws: FFmpegError.self) {
            _ = try Encoder(video: VideoEncoderSettings(width: 64, height: 64, timebase: .init(1, 30), frameRate: .init(30, 1),
                                                        bitrate: 100_000, gopSize: 30, options: ["no-such-option": "1"]))
        }
        #expect(error?.message.contains("no-such-option") == true)
    }

    @Test func garbageBytesNeverCrashTheDecoderAndAreLogged() throws {
        let box = LineBox()
        FFmpegLog.install(logger: Logger(label: "test") { _ in CollectingLogHandler(box: box) }, level: .error)
        defer { FFmpegLog.uninstall() }
        let decoder = try Decoder(codecName: "h264")
        var generator = SystemRandomNumberGenerator()
        var frames = 0
        var errors: [FFmpegError] = []
        for _ in 0..<50 {
            let bytes = (0..<512).map { _ in UInt8.random(in: 0...255, using: &generator) }
            do {
                frames += try bytes.withUnsafeBytes { try decoder.decode(try Packet(copying: $0)) }.count
            } catch let e as FFmpegError {
                errors.append(e)
            }
        }
        // Garbage yields no pictures; any error it raises carries FFmpeg's message.
        #expect(frames == 0)
        #expect(errors.allSatisfy { !$0.message.isEmpty && $0.operation.hasPrefix("avcodec_") })
        // FFmpeg complains about the garbage through swift-log, not on stderr.
        #expect(!box.lines.withLock { $0 }.isEmpty)
        #expect(box.lines.withLock { $0 }.contains { $0.contains("h264") })
    }
}

final class LineBox: Sendable {
    let lines = Mutex<[String]>([])
}

struct CollectingLogHandler: LogHandler {
    let box: LineBox
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        box.lines.withLock { $0.append(event.message.description) }
    }
}
