import Config
import Foundation
import HLS
import Logging
import StreamHub
import Synchronization
import Transcode

/// The one owner of every stream path's lifecycle, like MediaMTX's per-path run loop: publish,
/// source closed, grace expiry, pipeline stop and forget are events handled in order by one
/// loop, which alone holds the paths' state. Observers on I/O threads only post events; work
/// that blocks (joining codec threads, flushing muxers) runs on a thread of its own and posts
/// its completion back, so the loop never waits and never runs on an event loop.
///
/// A republish before the grace runs out continues the same playlists after
/// EXT-X-DISCONTINUITY; a path left unpublished for `endGrace` gets ENDLIST and is forgotten
/// after 6× its target duration.
final class StreamPipelines: Sendable {
    enum Event: Sendable {
        case published(LiveStream)
        case sourceClosed(path: String, pipeline: StreamPipeline)
        case graceExpired(path: String, pipeline: StreamPipeline)
        case stopped(path: String)
        case forget(path: String, stream: HLSStream)
        case stopAll(CheckedContinuation<Void, Never>)
    }

    /// Unbounded on purpose: lifecycle events must not be dropped, and there are at most a few
    /// per connection, whose number the listeners bound.
    private let events: AsyncStream<Event>.Continuation
    private let loop: Loop

    /// `transcode` is what every stream gets unless `config`'s current tree says otherwise for
    /// its path (a `paths` rule), or a reload changed the `transcode` section from `startTranscode`.
    init(hub: StreamHub, registry: HLSRegistry, hls: HLSConfiguration, transcode: TranscodeConfiguration?,
         config: ConfigStore = ConfigStore(), startTranscode: SluiceConfig.Transcode = SluiceConfig.Transcode(),
         endGrace: Duration, logger: Logger, metrics: ServerMetrics? = nil) {
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        events = continuation
        let loop = Loop(hub: hub, registry: registry, hls: hls, transcode: transcode, config: config, startTranscode: startTranscode,
                        endGrace: endGrace, logger: logger, events: continuation, metrics: metrics)
        self.loop = loop
        Task { await loop.run(stream) }
        // The transcoder's own renditions (`<path>/<rung>`) are streams too, but get no pipeline.
        hub.onNewStream { live in if !live.isDerived { continuation.yield(.published(live)) } }
    }

    var paths: [String] { loop.snapshot.withLock { Array($0.keys).sorted() } }

    func pipeline(_ path: String) -> StreamPipeline? { loop.snapshot.withLock { $0[path] } }

    /// Stops every pipeline, ends every stream (ENDLIST, held requests answered) and ends the loop.
    func stopAll() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if case .terminated = events.yield(.stopAll(c)) { c.resume() }
        }
    }
}

extension StreamPipelines {
    /// The loop's state: only `run` touches it, one event at a time.
    fileprivate final class Loop: Sendable {
        enum PathState {
            /// A pipeline reads the current publisher's stream.
            case live(StreamPipeline)
            /// The publisher left; the grace timer runs.
            case waiting(StreamPipeline)
            /// A pipeline is stopping on its own thread; then `pending` starts, or the stream ends.
            case stopping(pending: LiveStream?)
            /// ENDLIST is served until the forget timer.
            case ended(HLSStream)
        }

        let hub: StreamHub
        let registry: HLSRegistry
        let hls: HLSConfiguration
        let transcode: TranscodeConfiguration?
        let config: ConfigStore
        let startTranscode: SluiceConfig.Transcode
        let endGrace: Duration
        let logger: Logger
        let events: AsyncStream<Event>.Continuation
        let metrics: ServerMetrics?
        /// What the API reads; written only by the loop.
        let snapshot = Mutex<[String: StreamPipeline]>([:])

        init(hub: StreamHub, registry: HLSRegistry, hls: HLSConfiguration, transcode: TranscodeConfiguration?, config: ConfigStore,
             startTranscode: SluiceConfig.Transcode, endGrace: Duration, logger: Logger, events: AsyncStream<Event>.Continuation,
             metrics: ServerMetrics?) {
            self.metrics = metrics
            self.hub = hub
            self.registry = registry
            self.hls = hls
            self.transcode = transcode
            self.config = config
            self.startTranscode = startTranscode
            self.endGrace = endGrace
            self.logger = logger
            self.events = events
        }

        func run(_ stream: AsyncStream<Event>) async {
            var paths: [String: PathState] = [:]
            for await event in stream {
                switch event {
                case .published(let live):
                    published(live, paths: &paths)
                case .sourceClosed(let path, let pipeline):
                    guard case .live(let current) = paths[path], current === pipeline else { break } // already replaced
                    paths[path] = .waiting(pipeline)
                    after(endGrace, .graceExpired(path: path, pipeline: pipeline))
                case .graceExpired(let path, let pipeline):
                    guard case .waiting(let current) = paths[path], current === pipeline else { break } // republished
                    paths[path] = .stopping(pending: nil)
                    stop(pipeline, path: path, ending: true)
                case .stopped(let path):
                    stopped(path, paths: &paths)
                case .forget(let path, let stream):
                    guard case .ended(let current) = paths[path], current === stream else { break }
                    paths[path] = nil
                    registry.forget(stream)
                case .stopAll(let done):
                    await stopEverything(paths)
                    snapshot.withLock { $0.removeAll() }
                    events.finish()
                    done.resume()
                    return
                }
                publishSnapshot(paths)
            }
        }

        private func published(_ live: LiveStream, paths: inout [String: PathState]) {
            let path = live.path
            switch paths[path] {
            case nil, .ended:
                paths[path] = .live(start(live, continuing: false))
            case .live(let old), .waiting(let old):
                // A new publisher's stream: the old pipeline stops first, then this one continues
                // the playlists. Its GOP cache holds what arrives meanwhile.
                paths[path] = .stopping(pending: live)
                stop(old, path: path, ending: false)
            case .stopping:
                paths[path] = .stopping(pending: live) // the newest publisher wins
            }
        }

        private func stopped(_ path: String, paths: inout [String: PathState]) {
            guard case .stopping(let pending) = paths[path] else { return }
            if let pending {
                paths[path] = .live(start(pending, continuing: true))
                return
            }
            guard let stream = registry.stream(path), stream.isEnded else { paths[path] = nil; return }
            paths[path] = .ended(stream)
            logger.info("stream ended", metadata: ["path": "\(path)"])
            // Players still holding the playlist see ENDLIST for a while; then the path is
            // freed, so a server that sees many stream keys does not keep them all.
            after(.seconds(Double(stream.configuration.targetDuration) * 6), .forget(path: path, stream: stream))
        }

        private func start(_ live: LiveStream, continuing: Bool) -> StreamPipeline {
            let path = live.path
            let stream = registry.stream(path: path, configuration: hls, logger: logger)
            let events = self.events
            // Read now, not at start: a reload's `paths` rules apply to the next publish.
            let transcode = StreamPipelines.transcode(for: path, base: self.transcode, startTranscode: startTranscode,
                                                      current: config.current, logger: logger)
            let pipeline = StreamPipeline(live: live, hub: hub, hls: stream, transcode: transcode, logger: logger, metrics: metrics,
                                          onSourceClosed: { pipeline in events.yield(.sourceClosed(path: path, pipeline: pipeline)) })
            logger.info(continuing ? "stream continues after a new publisher" : "stream started",
                        metadata: ["path": "\(path)", "transcode": "\(transcode != nil)",
                                   "ladder": "\(transcode?.ladder.rungs.map(\.name).joined(separator: ",") ?? "-")"])
            return pipeline
        }

        /// Stops `pipeline` off the loop; its HLS stream then either ends (ENDLIST, held requests
        /// answered) or continues after a discontinuity for the next publisher. Posts `.stopped`.
        private func stop(_ pipeline: StreamPipeline, path: String, ending: Bool) {
            let registry = self.registry, events = self.events, logger = self.logger
            Task {
                await pipeline.stop()
                await onOwnThread {
                    // Flushing the muxers is libavformat work: never on an event loop or the pool.
                    guard let stream = registry.stream(path) else { return }
                    if ending {
                        stream.end()
                    } else {
                        do { try stream.discontinuity() } catch { logger.error("hls \(path): discontinuity: \(error)") }
                    }
                }
                events.yield(.stopped(path: path))
            }
        }

        /// Stops what runs; every stream left gets ENDLIST and its held requests answered.
        private func stopEverything(_ paths: [String: PathState]) async {
            await withTaskGroup(of: Void.self) { group in
                for (_, state) in paths {
                    switch state {
                    case .live(let p), .waiting(let p): group.addTask { await p.stop() }
                    case .stopping, .ended: break
                    }
                }
            }
            for path in paths.keys { registry.stream(path)?.end() }
        }

        /// The `.stopped` that a stop in flight posts after `.stopAll` is never read: the loop has ended.
        private func after(_ delay: Duration, _ event: Event) {
            let events = self.events
            Task {
                try? await Task.sleep(for: delay)
                events.yield(event)
            }
        }

        private func publishSnapshot(_ paths: [String: PathState]) {
            var map: [String: StreamPipeline] = [:]
            for (path, state) in paths {
                switch state {
                case .live(let p), .waiting(let p): map[path] = p
                case .stopping, .ended: break
                }
            }
            snapshot.withLock { $0 = map }
        }
    }
}

extension StreamPipelines {
    /// The transcode settings of a stream starting on `path` now: `base` (what the server
    /// started with), or the `transcode` section of `current` once a reload changed it from
    /// `startTranscode`, then the first `paths` rule matching `path` (`transcode`, `ladder`).
    static func transcode(for path: String, base: TranscodeConfiguration?, startTranscode: SluiceConfig.Transcode,
                          current: SluiceConfig, logger: Logger) -> TranscodeConfiguration? {
        var enabled = base != nil
        var settings = base ?? TranscodeConfiguration()
        var ladder: String?? = base == nil ? .some(current.transcode.ladder) : nil // nil: keep the base's ladder
        if current.transcode != startTranscode {
            enabled = current.transcode.enabled
            settings.preset = current.transcode.preset
            settings.gopSeconds = current.transcode.gopSeconds
            ladder = .some(current.transcode.ladder)
        }
        if let rule = current.rule(for: path) {
            if let on = rule.transcode { enabled = on }
            if let spec = rule.ladder { ladder = .some(spec) }
        }
        guard enabled else { return nil }
        WebRTCAudioSink.addOpus(to: &settings, webrtc: current.webrtc)
        if let ladder {
            do {
                settings.ladder = try ladder.map(Ladder.init(parsing:)) ?? .default
            } catch {
                // The loader validated it; keep serving with the built-in ladder rather than nothing.
                logger.error("\(path): \(error); using the built-in ladder")
                settings.ladder = .default
            }
        }
        return settings
    }
}

/// Runs blocking work on a thread of its own (not Swift's cooperative pool) and waits for it.
func onOwnThread(_ work: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        Thread {
            work()
            c.resume()
        }.start()
    }
}
