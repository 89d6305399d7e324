import Config
import Foundation
import HLS
import Logging
import StreamHub
import Synchronization

/// Cuts clips (`POST /api/v1/streams/{path}/clips`): from the live window in memory, else from
/// the newest recording of the path that holds the range, into one MP4 in `clips.directory`,
/// which is kept within `clips.maxClips` and `clips.maxTotalMiB` (oldest deleted first).
///
/// Each cut runs on a thread of its own (libavformat and file writes), never on an event loop
/// or the cooperative pool; at most `clips.maxConcurrent` at once, a request beyond that is
/// refused (503), not queued.
final class ClipService: Sendable {
    let config: ConfigStore
    let registry: HLSRegistry
    let hub: StreamHub
    let logger: Logger
    private let running = Atomic<Int>(0)
    /// Fixed at start (a reload does not resize it).
    let maxConcurrent: Int

    init(config: ConfigStore, registry: HLSRegistry, hub: StreamHub, logger: Logger) {
        self.config = config
        self.registry = registry
        self.hub = hub
        self.logger = logger
        maxConcurrent = config.current.clips.maxConcurrent
    }

    struct Request: Sendable {
        var path: String
        var from: ClipTime
        var to: ClipTime
        var rendition: String?
    }

    struct Clip: Codable, Sendable {
        var id: String
        var url: String
        var path: String
        var rendition: String
        /// "live" or "recording".
        var source: String
        var duration: Double
        /// The first frame's wall clock (ISO 8601), when the source has one.
        var start: String?
        var bytes: Int
        var videoFrames: Int
        var audioPackets: Int
    }

    struct Busy: Error {}

    /// Cuts on a new thread; throws `ClipError` (range, request, source) or `Busy`.
    func cut(_ request: Request) async throws -> Clip {
        guard running.wrappingAdd(1, ordering: .relaxed).newValue <= maxConcurrent else {
            running.wrappingSubtract(1, ordering: .relaxed)
            throw Busy()
        }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<Clip, any Error>) in
            let thread = Thread { [self] in
                defer { running.wrappingSubtract(1, ordering: .relaxed) }
                c.resume(with: Result { try cutNow(request) })
            }
            thread.name = "sluice-clip"
            thread.start()
        }
    }

    /// The cut itself, on the calling (clip) thread.
    private func cutNow(_ request: Request) throws -> Clip {
        let settings = config.current.clips
        let directory = URL(fileURLWithPath: settings.directory)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ClipError(.source, "cannot create the clips directory \(settings.directory): \(error.localizedDescription)")
        }
        let id = Self.newID()
        let final = directory.appendingPathComponent("\(id).mp4")
        // Written under another name and renamed: `GET /clips/<id>.mp4` never sees half a file.
        let partial = directory.appendingPathComponent("\(id).mp4.part")
        defer { try? FileManager.default.removeItem(at: partial) }

        var attempts: [(kind: String, source: any ClipSource)] = []
        let live = registry.stream(request.path)
        // Program time 0 is when the publisher started, for the live window and recordings alike.
        let origin = hub.stream(request.path)?.publisherInfo.map { Int64($0.since.timeIntervalSince1970 * 1_000_000) }
        if let live {
            let renditions = live.allRenditions
            let chosen = request.rendition.map { name in renditions.first { $0.name == name } }
                ?? renditions.first(where: \.isSource) ?? renditions.first
            if let rendition = chosen ?? nil {
                attempts.append(("live", LiveClipSource(rendition: rendition, origin: origin)))
            } else if let name = request.rendition {
                throw ClipError(.notAvailable, "no rendition \(name) on \(request.path) (it has \(renditions.map(\.name).joined(separator: ", ")))")
            }
        }
        // Unset: the recorder's own directory, so recorded shows can be cut without extra configuration.
        let recordings = Self.recordings(of: request.path, in: settings.recordingDirectory ?? config.current.recording.directory)
        guard !attempts.isEmpty || !recordings.isEmpty else {
            throw NotFound(description: "no stream \(request.path), live or recorded")
        }
        var lastError: (any Error)?
        var result: Clipper.Result?
        var kind = "live"
        for (k, source) in attempts {
            do {
                result = try Clipper.cut(source, from: request.from, to: request.to, maxSpan: settings.maxSpanSeconds,
                                         output: partial.path, origin: origin)
                kind = k
                break
            } catch let e as ClipError where e.kind == .notAvailable {
                lastError = e
            }
        }
        // Older than the live window: the newest recording that holds the range.
        if result == nil {
            for dir in recordings {
                let source: PlaylistClipSource
                if let s = try? PlaylistClipSource(location: dir, rendition: request.rendition ?? "source") {
                    source = s
                } else if request.rendition == nil, let s = try? PlaylistClipSource(location: dir) {
                    source = s
                } else {
                    continue
                }
                do {
                    result = try Clipper.cut(source, from: request.from, to: request.to, maxSpan: settings.maxSpanSeconds,
                                             output: partial.path, origin: origin)
                    kind = "recording"
                    break
                } catch let e as ClipError where e.kind == .notAvailable || e.kind == .source {
                    if lastError == nil || e.kind == .notAvailable { lastError = e }
                }
            }
        }
        guard let result else { throw lastError ?? ClipError(.notAvailable, "nothing to cut") }
        do {
            try FileManager.default.moveItem(at: partial, to: final)
        } catch {
            throw ClipError(.source, "cannot write the clip: \(error.localizedDescription)")
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: final.path)[.size] as? Int) ?? 0
        Self.trim(directory, keeping: final.lastPathComponent, maxClips: settings.maxClips,
                  maxBytes: Int64(settings.maxTotalMiB) << 20, logger: logger)
        logger.info("clip cut", metadata: ["path": "\(request.path)", "id": "\(id)", "source": "\(kind)",
                                           "seconds": "\((result.duration * 1000).rounded() / 1000)"])
        return Clip(id: id, url: "/clips/\(id).mp4", path: request.path, rendition: result.rendition, source: kind,
                    duration: (result.duration * 1000).rounded() / 1000,
                    start: result.startWallClock.map { ProgramDateTime.format(micros: $0) }, bytes: bytes,
                    videoFrames: result.videoFrames, audioPackets: result.audioPackets)
    }

    struct NotFound: Error, CustomStringConvertible { var description: String }

    /// Recordings of `path` (`<dir>/<path>/<recording id>/`), newest first (ids are UTC start
    /// times, so names sort by time); at most a few are tried.
    static func recordings(of path: String, in directory: String?) -> [String] {
        guard let directory, !directory.isEmpty, (try? StreamPath(validating: path)) != nil else { return [] }
        let base = URL(fileURLWithPath: directory).appendingPathComponent(path)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base.path) else { return [] }
        return names.filter { !$0.hasPrefix(".") }.sorted(by: >).prefix(8)
            .map { base.appendingPathComponent($0).path }
            .filter { FileManager.default.fileExists(atPath: $0 + "/index.m3u8") }
    }

    /// Deletes the oldest clips beyond the count and size bounds (never `keeping`).
    static func trim(_ directory: URL, keeping: String, maxClips: Int, maxBytes: Int64, logger: Logger) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else { return }
        var clips: [(name: String, date: Date, size: Int64)] = names.filter { $0.hasSuffix(".mp4") }.compactMap { name in
            guard let a = try? fm.attributesOfItem(atPath: directory.appendingPathComponent(name).path) else { return nil }
            return (name, a[.modificationDate] as? Date ?? .distantPast, (a[.size] as? NSNumber)?.int64Value ?? 0)
        }
        clips.sort { ($0.date, $0.name) < ($1.date, $1.name) }
        var total = clips.reduce(Int64(0)) { $0 + $1.size }
        var count = clips.count
        for clip in clips where clip.name != keeping && (count > maxClips || total > maxBytes) {
            do {
                try fm.removeItem(at: directory.appendingPathComponent(clip.name))
                count -= 1
                total -= clip.size
            } catch {
                logger.warning("clips: cannot delete \(clip.name): \(error.localizedDescription)")
            }
        }
    }

    /// 16 hex digits: unguessable enough that a clip's URL can be handed out as its only key.
    static func newID() -> String {
        var g = SystemRandomNumberGenerator()
        return String(format: "%016llx", g.next() as UInt64)
    }
}
