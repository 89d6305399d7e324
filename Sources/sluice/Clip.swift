import ArgumentParser
import FFmpegBridge
import Foundation
import HLS
import Logging

struct Clip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut a clip from an HLS stream or recording into one MP4, without re-encoding.",
        discussion: """
        Reads an fMP4 HLS rendition (a live or VOD playlist over HTTP, or a recording directory \
        on disk) and writes one MP4 (moov in front, video and audio, timestamps from 0) from the \
        keyframe at or before --from to the end of the GOP that covers --to. Times are ISO 8601 \
        wall clock (matched with EXT-X-PROGRAM-DATE-TIME) or seconds of program time (0 = the \
        first segment listed; negative = back from the newest segment).

        A multivariant playlist picks the variant with the highest bandwidth, or --rendition.
        """
    )

    @Argument(help: "http(s)://HOST/live/shop/index.m3u8, a playlist file or a recording directory")
    var url: String
    // Unconditional: `--from -30` is a time, not an option.
    @Option(parsing: .unconditional, help: "Start: 2026-11-30T18:10:00Z, or seconds (12.5, -30).") var from: String
    @Option(parsing: .unconditional, help: "End, as --from.") var to: String
    @Option(name: [.customShort("o"), .long], help: "MP4 file to write.") var output: String
    @Option(help: "Variant NAME of a multivariant playlist (default: the highest bandwidth).") var rendition: String?
    @Option(help: "Longest clip in seconds.") var maxSpan: Double = 600

    func validate() throws {
        guard ClipTime(from) != nil else { throw ValidationError("--from must be an ISO 8601 date-time with a zone or a number of seconds, got \"\(from)\"") }
        guard ClipTime(to) != nil else { throw ValidationError("--to must be an ISO 8601 date-time with a zone or a number of seconds, got \"\(to)\"") }
        guard maxSpan > 0, maxSpan.isFinite else { throw ValidationError("--max-span must be positive") }
        guard !output.isEmpty, !output.hasSuffix("/") else { throw ValidationError("-o needs a file name") }
    }

    func run() async throws {
        // libavformat's own messages (an HTTP 404, a refused connection) become our one error line.
        FFmpegLog.install(logger: Logger(label: "clip", factory: { _ in SwiftLogNoOpLogHandler() }), level: .critical)
        guard let from = ClipTime(from), let to = ClipTime(to) else { return } // checked in validate()
        let (url, rendition, output, maxSpan) = (url, rendition, output, maxSpan)
        let partial = output + ".part"
        let result: Clipper.Result = try await withCheckedThrowingContinuation { c in
            // Blocking reads and libavformat work: on a thread of its own, not the cooperative pool.
            Thread {
                c.resume(with: Result {
                    defer { try? FileManager.default.removeItem(atPath: partial) }
                    do {
                        let source = try PlaylistClipSource(location: url, rendition: rendition)
                        let r = try Clipper.cut(source, from: from, to: to, maxSpan: maxSpan, output: partial)
                        if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
                        try FileManager.default.moveItem(atPath: partial, toPath: output)
                        return r
                    } catch let e as ClipError {
                        throw CommandFailure(e.description)
                    } catch let e as CommandFailure {
                        throw e
                    } catch {
                        throw CommandFailure("cannot write \(output): \(error.localizedDescription)")
                    }
                })
            }.start()
        }
        let start = result.startWallClock.map { " from \(ProgramDateTime.format(micros: $0))" } ?? ""
        print("wrote \(output): \(String(format: "%.3f", result.duration)) s of \(result.rendition)\(start), "
              + "\(result.videoFrames) video frames, \(result.audioPackets) audio packets")
    }
}
