import ArgumentParser
import BitrateControl
import Dispatch
import FFmpegBridge
import Foundation
import LatencyProbe
import Logging
import Synchronization
import Uplink

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish over RTMP or SRT: a stamped test pattern, or any input re-encoded, optionally adapting to the link.",
        discussion: """
        Each video frame carries an SEI user_data_unregistered message with Sluice's UUID and the \
        wall-clock time the frame was made. Run `sluice probe` on the far side (same host, or hosts \
        with synchronised clocks) to measure capture-to-viewer delay through any server that keeps SEI. \
        RTMP URLs are sent as FLV, everything else (srt://...?streamid=live/x) as MPEG-TS.

        With --input (a file, or a listen URL an encoder pushes to: \
        "rtmp://127.0.0.1:1936/live/x?listen", "srt://127.0.0.1:9999?mode=listener"), --adaptive, \
        --stats or a rate range, Sluice's own contribution encoder runs: libx264 (zerolatency, VBV), \
        audio carried as AAC, and its own SRT caller / RTMP client so the controller can read the \
        link (srt_bistats; TCP_INFO and SIOCOUTQ). The local send queue never holds more than \
        --latency-budget-ms of media: beyond it, it drops to the next keyframe.
        """
    )

    @Argument(help: "Destination, e.g. rtmp://127.0.0.1/live/demo or \"srt://127.0.0.1:9000?streamid=live/demo\"") var url: String
    @Option(help: "Seconds to publish (default: 60 for the test pattern, until the input ends for --input).") var duration: Double?
    @Option(help: "Picture size of the test pattern, WIDTHxHEIGHT.") var size: String = "1280x720"
    @Option(help: "Frames per second of the test pattern.") var fps: Int = 30
    @Option(help: "Video bitrate in kbit/s (the start rate with --adaptive).") var kbps: Int = 2500
    @Option(help: "x264 preset of the test pattern (ultrafast … veryslow).") var preset = "veryfast"
    @Option(help: "Media to re-encode and send instead of the test pattern: a file or a libavformat URL.") var input: String?
    @Flag(help: "Restart a file input at its end, timestamps continuing.") var loop = false
    @Flag(help: "Adapt the bitrate to the link (see --policy).") var adaptive = false
    @Option(help: "Controller with --adaptive: \(RatePolicyName.allCases.map(\.rawValue).joined(separator: ", ")).") var policy: String = "sluice"
    @Option(help: "Lowest bitrate --adaptive may choose, kbit/s (default: a fifth of --kbps).") var minKbps: Int?
    @Option(help: "Highest bitrate --adaptive may choose, kbit/s (default: --kbps).") var maxKbps: Int?
    @Option(help: "Most media the local send queue holds before dropping to the next keyframe, ms.") var latencyBudgetMs: Double = 500
    @Option(help: "Write JSON lines every 100 ms (target/sent kbit/s, queue, RTT, step, drops) and a summary to this file.") var stats: String?

    /// The contribution encoder (own transports) instead of the plain stamped publisher.
    var usesUplink: Bool {
        input != nil || adaptive || stats != nil || minKbps != nil || maxKbps != nil
    }

    var scheme: String { url.split(separator: ":", maxSplits: 1).first?.lowercased() ?? "" }

    func validate() throws {
        // libavformat would take anything else as a file name (or an HTTP PUT) and "succeed".
        guard ["rtmp", "rtmps", "srt"].contains(scheme), url.contains("://") else {
            throw ValidationError("push needs an rtmp://, rtmps:// or srt:// URL, got \"\(url)\"")
        }
        if let duration { guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be positive") } }
        guard (1...120).contains(fps) else { throw ValidationError("--fps must be 1–120, got \(fps)") }
        guard (50...100_000).contains(kbps) else { throw ValidationError("--kbps must be 50–100000, got \(kbps)") }
        guard Self.presets.contains(preset) else { throw ValidationError("--preset must be one of \(Self.presets.joined(separator: ", ")), got \(preset)") }
        if loop && input == nil { throw ValidationError("--loop needs --input") }
        if RatePolicyName(rawValue: policy) == nil {
            throw ValidationError("unknown --policy \"\(policy)\"; one of \(RatePolicyName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (low, high) = range
        guard (50...100_000).contains(low), (50...100_000).contains(high) else {
            throw ValidationError("--min-kbps and --max-kbps must be 50–100000")
        }
        guard low <= high else { throw ValidationError("--min-kbps (\(low)) must not exceed --max-kbps (\(high))") }
        guard latencyBudgetMs >= 50, latencyBudgetMs.isFinite else { throw ValidationError("--latency-budget-ms must be at least 50") }
        if usesUplink && scheme == "rtmps" { throw ValidationError("--input, --adaptive and --stats send over rtmp:// or srt://, not rtmps://") }
        if let input, !input.contains("://"), !FileManager.default.isReadableFile(atPath: input) {
            throw ValidationError("cannot read --input \(input)")
        }
    }

    static let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]

    var range: (Int, Int) {
        let high = maxKbps ?? max(kbps, minKbps ?? 0)
        return (minKbps ?? max(50, min(kbps, high) / 5), high)
    }

    func run() throws {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 16, parts[1] >= 16, parts[0] % 2 == 0, parts[1] % 2 == 0 else {
            throw ValidationError("--size must be WIDTHxHEIGHT with even numbers, e.g. 1280x720")
        }
        // Our own error line says what failed; libavformat's lines would repeat it.
        FFmpegLog.install(logger: Logger(label: "push", factory: { StreamLogHandler.standardError(label: $0) }), level: .critical)
        if usesUplink {
            try runUplink(width: parts[0], height: parts[1])
            return
        }
        var publisher = StampingPublisher(url: url)
        publisher.width = parts[0]
        publisher.height = parts[1]
        publisher.fps = fps
        publisher.bitrate = kbps * 1000
        publisher.preset = preset
        publisher.seconds = duration ?? 60
        FileHandle.standardError.write(Data("pushing \(size)@\(fps) \(kbps) kbit/s to \(url) for \(publisher.seconds) s\n".utf8))
        let frames: Int
        do {
            frames = try publisher.run()
        } catch {
            // One line a person can act on, not a Swift error dump.
            throw CommandFailure("push to \(url) failed: \(error)")
        }
        print("sent \(frames) stamped frames to \(url)")
    }

    private func runUplink(width: Int, height: Int) throws {
        let source: UplinkInput
        if let input {
            var address = input
            var options: [String: String] = [:]
            // libavformat's RTMP takes "listen" as an option, not in the URL.
            if input.lowercased().hasPrefix("rtmp://"), let q = input.firstIndex(of: "?"),
               input[input.index(after: q)...].split(separator: "&").contains(where: { $0 == "listen" || $0 == "listen=1" }) {
                address = String(input[..<q])
                options["listen"] = "1"
            }
            source = .media(url: address, options: options, loop: loop)
        } else {
            source = .testPattern(width: width, height: height, fps: fps)
        }
        let (low, high) = range
        var settings = UplinkSettings(url: url, input: source, seconds: duration ?? (input == nil ? 60 : nil),
                                      minKbps: low, maxKbps: high, startKbps: min(max(kbps, low), high))
        settings.policy = adaptive ? RatePolicyName(rawValue: policy) ?? .sluice : .fixed
        settings.latencyBudgetMs = latencyBudgetMs
        settings.statsPath = stats
        let control = UplinkControl(start: RateDecision(bitrateKbps: settings.startKbps))
        let opened = Atomic<Bool>(false)
        // SIGINT/SIGTERM end the push cleanly: the stats file gets its summary. A listen input
        // still waiting for its publisher sits in libavformat: nothing to end cleanly yet.
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if !opened.load(ordering: .acquiring) { Foundation.exit(128 + number) }
                control.stop()
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let mode = adaptive ? "adaptive (\(settings.policy.rawValue), \(low)–\(high) kbit/s)" : "\(settings.startKbps) kbit/s"
        FileHandle.standardError.write(Data("pushing \(input ?? "test pattern \(size)@\(fps)") to \(url), \(mode)\n".utf8))
        let summary: UplinkSummary
        do {
            summary = try UplinkPush.run(settings, control: control) { info in
                opened.store(true, ordering: .releasing)
                FileHandle.standardError.write(Data("input open: \(info.fps) fps, \(info.audio == nil ? "no audio" : "audio \(info.audio!.sampleRate) Hz")\n".utf8))
            }
        } catch {
            throw CommandFailure("push to \(url) failed: \(error)")
        }
        print("sent \(summary.framesSent) frames to \(url): \(summary.json)")
    }
}
