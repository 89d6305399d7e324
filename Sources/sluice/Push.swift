import ArgumentParser
import FFmpegBridge
import Foundation
import LatencyProbe
import Logging

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a generated test pattern over RTMP or SRT, every frame stamped for `sluice probe`.",
        discussion: """
        Each video frame carries an SEI user_data_unregistered message with Sluice's UUID and the \
        wall-clock time the frame was made. Run `sluice probe` on the far side (same host, or hosts \
        with synchronised clocks) to measure capture-to-viewer delay through any server that keeps SEI. \
        RTMP URLs are sent as FLV, everything else (srt://...?streamid=live/x) as MPEG-TS.
        """
    )

    @Argument(help: "Destination, e.g. rtmp://127.0.0.1/live/demo or \"srt://127.0.0.1:9000?streamid=live/demo\"") var url: String
    @Option(help: "Seconds to publish.") var duration: Double = 60
    @Option(help: "Picture size, WIDTHxHEIGHT.") var size: String = "1280x720"
    @Option(help: "Frames per second.") var fps: Int = 30
    @Option(help: "Video bitrate in kbit/s.") var kbps: Int = 2500

    func validate() throws {
        // libavformat would take anything else as a file name (or an HTTP PUT) and "succeed".
        guard let scheme = url.split(separator: ":", maxSplits: 1).first?.lowercased(),
              ["rtmp", "rtmps", "srt"].contains(scheme), url.contains("://") else {
            throw ValidationError("push needs an rtmp://, rtmps:// or srt:// URL, got \"\(url)\"")
        }
        guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be positive") }
        guard (1...120).contains(fps) else { throw ValidationError("--fps must be 1–120, got \(fps)") }
        guard (50...100_000).contains(kbps) else { throw ValidationError("--kbps must be 50–100000, got \(kbps)") }
    }

    func run() throws {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[0] % 2 == 0, parts[1] % 2 == 0 else {
            throw ValidationError("--size must be WIDTHxHEIGHT with even numbers, e.g. 1280x720")
        }
        // Our own error line says what failed; libavformat's lines would repeat it.
        FFmpegLog.install(logger: Logger(label: "push", factory: { StreamLogHandler.standardError(label: $0) }), level: .critical)
        var publisher = StampingPublisher(url: url)
        publisher.width = parts[0]
        publisher.height = parts[1]
        publisher.fps = fps
        publisher.bitrate = kbps * 1000
        publisher.seconds = duration
        FileHandle.standardError.write(Data("pushing \(size)@\(fps) \(kbps) kbit/s to \(url) for \(duration) s\n".utf8))
        let frames: Int
        do {
            frames = try publisher.run()
        } catch {
            // One line a person can act on, not a Swift error dump.
            throw CommandFailure("push to \(url) failed: \(error)")
        }
        print("sent \(frames) stamped frames to \(url)")
    }
}
