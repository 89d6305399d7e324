import Foundation
import HLS
import Logging
import StreamHub
import Synchronization
import Transcode

/// Starts a pipeline for every stream that appears in the hub and keeps each path's HLS
/// output across publisher reconnects: a republish continues the same playlists after
/// EXT-X-DISCONTINUITY; a path left unpublished for `endGrace` gets ENDLIST.
final class StreamPipelines: Sendable {
    private let registry: HLSRegistry
    private let hls: HLSConfiguration
    private let transcode: TranscodeConfiguration?
    private let endGrace: Duration
    private let logger: Logger
    private let state = Mutex<[String: Entry]>([:])

    struct Entry {
        var pipeline: StreamPipeline
        var generation: Int
    }

    init(hub: StreamHub, registry: HLSRegistry, hls: HLSConfiguration, transcode: TranscodeConfiguration?,
         endGrace: Duration, logger: Logger) {
        self.registry = registry
        self.hls = hls
        self.transcode = transcode
        self.endGrace = endGrace
        self.logger = logger
        hub.onNewStream { [weak self] live in self?.started(live) }
    }

    var paths: [String] { state.withLock { Array($0.keys).sorted() } }

    func pipeline(_ path: String) -> StreamPipeline? { state.withLock { $0[path]?.pipeline } }

    private func started(_ live: LiveStream) {
        let path = live.path
        let stream = registry.stream(path: path, configuration: hls, logger: logger)
        let previous = state.withLock { $0[path] }
        if previous != nil {
            // The same path again before its grace ran out: continue its playlists.
            do { try stream.discontinuity() } catch { logger.error("hls \(path): discontinuity: \(error)") }
        }
        let generation = (previous?.generation ?? 0) + 1
        let pipeline = StreamPipeline(live: live, hls: stream, transcode: transcode, logger: logger,
                                      onSourceClosed: { [weak self] in self?.sourceClosed(path, generation: generation) })
        state.withLock { $0[path] = Entry(pipeline: pipeline, generation: generation) }
        logger.info("stream started", metadata: ["path": "\(path)", "transcode": "\(transcode != nil)"])
        if let previous {
            Task { await previous.pipeline.stop() }
        }
    }

    /// The source reader closed: the publisher left. Wait for a republish, else end the stream.
    private func sourceClosed(_ path: String, generation: Int) {
        let grace = endGrace
        Task { [weak self] in
            try? await Task.sleep(for: grace)
            guard let self else { return }
            let ended = self.state.withLock { map -> Entry? in
                guard let e = map[path], e.generation == generation else { return nil } // republished
                map[path] = nil
                return e
            }
            guard let ended else { return }
            await ended.pipeline.stop()
            guard let stream = self.registry.stream(path) else { return }
            stream.end()
            self.logger.info("stream ended", metadata: ["path": "\(path)"])
            // Players still holding the playlist see ENDLIST for a while; then the path is
            // freed, so a server that sees many stream keys does not keep them all.
            try? await Task.sleep(for: .seconds(Double(stream.configuration.targetDuration) * 6))
            self.registry.forget(stream)
        }
    }

    func stopAll() async {
        let all = state.withLock { map -> [Entry] in
            let list = Array(map.values)
            map.removeAll()
            return list
        }
        for e in all {
            await e.pipeline.stop()
            registry.stream(e.pipeline.path)?.end()
        }
    }
}
