import ABR
import ArgumentParser
import FFmpegBridge
import Foundation
import LatencyProbe
import Logging

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure latency of a stream: read SEI stamps over LL-HLS, SRT or RTMP.",
        discussion: """
        Reads the stream the way a viewer would and reports, for every frame stamped by \
        `sluice push`, the delay from the stamp to its arrival here (p50/p90/p99). LL-HLS is read \
        with blocking reloads and every part; RTMP and SRT with libavformat. Works against Sluice \
        or any other server that keeps SEI.

        With --abr POLICY it plays an LL-HLS ladder instead: a virtual buffer played out in real \
        time, the policy picking the rendition of every part, and reports mean bitrate, stalls, \
        switches and latency (Docs/HLS.md).

        With --events it reads every rendition of an LL-HLS stream and, for each timed event \
        (emsg ID3, `POST /api/v1/streams/{path}/events`), prints how far the frame the event is \
        pinned to is from the frame a virtual player presents when the event arrives \
        (Docs/Protocols.md, "Timed events").
        """
    )

    @Argument(help: "Stream to read: http://HOST:8080/live/demo/index.m3u8, rtmp://HOST/live/demo or srt://HOST:PORT?streamid=...")
    var url: String
    @Option(help: "Seconds to measure.") var duration: Double = 30
    @Option(help: "Variant NAME to read from a multivariant playlist (default: the first).") var rendition: String?
    @Flag(help: "End with one JSON object on the last line.") var json = false
    @Option(help: "Play a multivariant LL-HLS playlist with this live ABR policy (\(Policies.liveNames.joined(separator: ", "))) and report QoE instead of stamps.")
    var abr: String?
    @Option(help: "With --abr: write every decision and its input to this JSON file.") var record: String?
    @Flag(help: "Report timed events (emsg ID3) per rendition instead of stamps: event frame vs the frame presented on arrival.")
    var events = false

    struct NoStamps: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        if events {
            guard abr == nil, record == nil else { throw ValidationError("--events cannot be combined with --abr or --record") }
            return try await readEvents()
        }
        if let abr { return try await playABR(abr) }
        guard record == nil else { throw ValidationError("--record needs --abr") }
        FFmpegLog.install(logger: Logger(label: "probe", factory: { StreamLogHandler.standardError(label: $0) }), level: .error)
        let delays: [Double]
        guard let scheme = url.split(separator: ":", maxSplits: 1).first?.lowercased(), url.contains("://"),
              ["http", "https", "rtmp", "rtmps", "srt"].contains(scheme) else {
            throw ValidationError("probe needs an http(s)://, rtmp:// or srt:// URL, got \"\(url)\"")
        }
        do {
            delays = try await read()
        } catch let error as URLError {
            throw CommandFailure("cannot read \(url): \(Self.reason(error))")
        } catch {
            throw CommandFailure("cannot read \(url): \(error)")
        }
        guard let report = LatencyReport(delays) else {
            throw NoStamps(description: "no latency stamps in \(url) within \(duration) s (is `sluice push` publishing it?)")
        }
        print("stamp -> arrival at \(url): \(report.text)")
        if json {
            let data = try JSONEncoder().encode(report)
            print(String(decoding: data, as: UTF8.self))
        }
    }

    static func reason(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: "connection refused (is the server running on that port?)"
        case .cannotFindHost, .dnsLookupFailed: "unknown host"
        case .timedOut: "timed out"
        case .networkConnectionLost: "the server closed the connection"
        case .badServerResponse: "not an HTTP response"
        default: "network error \(error.code.rawValue)"
        }
    }

    private func read() async throws -> [Double] {
        let delays: [Double]
        if url.hasPrefix("http") {
            guard let u = URL(string: url) else { throw ValidationError("bad URL \(url)") }
            delays = try await HLSLatencyReader(url: u, rendition: rendition).run(seconds: duration)
        } else {
            let reader = StreamLatencyReader(url: url)
            let seconds = duration
            delays = try await withCheckedThrowingContinuation { c in
                Thread { c.resume(with: Result { try reader.run(seconds: seconds) }) }.start() // blocking reads, own thread
            }
        }
        return delays
    }

    private func readEvents() async throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), let u = URL(string: url) else {
            throw ValidationError("--events needs an http(s):// LL-HLS playlist URL, got \"\(url)\"")
        }
        guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be positive") }
        let sightings: [HLSEventReader.Sighting]
        do {
            sightings = try await HLSEventReader(url: u).run(seconds: duration) { s in print(Self.line(s)) }
        } catch let error as URLError {
            throw CommandFailure("cannot read \(url): \(Self.reason(error))")
        } catch {
            throw CommandFailure("cannot read \(url): \(error)")
        }
        guard let summary = EventProbeSummary(sightings) else {
            throw NoStamps(description: "no timed events in \(url) within \(duration) s (post some: POST /api/v1/streams/{path}/events)")
        }
        print("events at \(url): \(summary.text)")
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
    }

    static func line(_ s: HLSEventReader.Sighting) -> String {
        let frames = s.leadFrames.map { String(format: " (%+.1f frames)", $0) } ?? ""
        let onFrame = s.onAFrame == true ? "on a frame" : "NOT on a frame"
        return String(format: "event %@ (%@) on %@: pinned to %.3f s (%@), presented %.3f s on arrival: %@ %.1f ms%@",
                      s.id, s.type, s.rendition, s.eventTime, onFrame, s.presentedTime,
                      s.leadSeconds >= 0 ? "ahead by" : "LATE by", abs(s.leadSeconds) * 1000, frames)
    }

    private func playABR(_ name: String) async throws {
        guard let policy = Policies.live(name.lowercased()) else {
            throw ValidationError("unknown ABR policy \"\(name)\"; one of \(Policies.liveNames.joined(separator: ", "))")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), let u = URL(string: url) else {
            throw ValidationError("--abr needs an http(s):// multivariant playlist URL, got \"\(url)\"")
        }
        guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be positive") }
        var records: [ABRDecisionRecord] = []
        let report: ABRProbeReport
        do {
            report = try await ABRProbePlayer(url: u).run(seconds: duration, policy: policy) { records.append($0) }
        } catch let error as URLError {
            throw CommandFailure("cannot read \(url): \(Self.reason(error))")
        } catch {
            throw CommandFailure("cannot read \(url): \(error)")
        }
        if let record {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do {
                try encoder.encode(records).write(to: URL(fileURLWithPath: record))
            } catch {
                throw CommandFailure("cannot write \(record): \(error.localizedDescription)")
            }
        }
        print("ABR at \(url): \(report.text)")
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
