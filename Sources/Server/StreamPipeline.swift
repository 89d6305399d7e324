import Foundation
import HLS
import Logging
import StreamHub
import Synchronization
import Transcode

/// What runs for one published stream: the source rendition fed from the hub into HLS, and a
/// transcode session whose rungs become the other HLS renditions. Both read the hub through
/// their own bounded queues, so neither can slow the publisher or the other.
final class StreamPipeline: Sendable {
    let path: String
    private let feed: HLSFeed?
    private let session: TranscodeSession?

    init(live: LiveStream, hub: StreamHub, hls: HLSStream, transcode: TranscodeConfiguration?, logger: Logger,
         metrics: ServerMetrics? = nil, onSourceClosed: @escaping @Sendable (StreamPipeline) -> Void) {
        path = live.path
        // Each reader holds a few seconds: a hiccup is absorbed, a stall drops to a keyframe.
        let source = live.subscribe(capacity: 1024)
        // The feed may close before `self` exists: remember that and report it once it does.
        let closed = Mutex<(pipeline: StreamPipeline?, early: Bool)>((nil, false))
        feed = source.map {
            HLSFeed(queue: $0, stream: hls, rendition: "source", isSource: true, logger: logger, onClose: {
                let pipeline = closed.withLock { c -> StreamPipeline? in
                    if c.pipeline == nil { c.early = true }
                    return c.pipeline
                }
                pipeline.map(onSourceClosed)
            })
        }
        if var transcode, let reader = live.subscribe(capacity: 1024) {
            let hlsSink = HLSLadderSink(hls: hls, sourceHasAudio: { live.tracks.contains { $0.kind == .audio } }, logger: logger)
            // The rungs go into the hub too, for relay players (moved down on a weak link).
            var sinks: [any RenditionSink] = [hlsSink, HubRenditionSink(hub: hub, path: live.path),
                                              WebRTCAudioSink(hub: hub, path: live.path)]
            if let metrics {
                sinks.append(StageLatencySink(path: live.path, metrics: metrics))
                transcode.onFrameDecoded = { [path = live.path] wallClock in
                    metrics.stageLatency(path: path, rendition: "source", stage: .decoded, wallClock: wallClock)
                }
            }
            let sink = RenditionFanOut(sinks: sinks)
            let session = TranscodeSession(configuration: transcode, sink: sink, logger: logger)
            session.start(reading: reader)
            self.session = session
        } else {
            session = nil
        }
        let early = closed.withLock { c -> Bool in
            c.pipeline = self
            return c.early
        }
        // The publisher left before we subscribed (or at once): report it now, or the path waits forever.
        if source == nil || early { onSourceClosed(self) }
    }

    var transcodeStats: TranscodeStats? { session?.stats }

    /// Changes a rung's bitrate live (the bitrate controller's lever).
    func setBitrate(_ bps: Int, rung: String) { session?.setBitrate(bps, rung: rung) }

    /// Every rung's next frame is a keyframe (WebRTC viewers).
    func requestKeyframe() { session?.requestKeyframe() }

    /// Stops both readers and waits for their threads.
    func stop() async {
        await feed?.stop()
        if let session {
            // Joining codec threads blocks: do it on a thread of its own, not the cooperative pool.
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                Thread {
                    session.stop()
                    c.resume()
                }.start()
            }
        }
    }
}
