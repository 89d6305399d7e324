import Dispatch
import Foundation
import Logging
import MediaCore
import StreamHub
import Synchronization

/// Transcodes one live stream into a ladder of renditions: decode once, scale a cascade,
/// encode each rung on its own thread, audio on another.
///
/// Threads (dedicated `Thread`s, never Swift's cooperative pool):
/// - decode: reads hub events, decodes the video once, scales each rung from the nearest
///   larger picture, forces keyframes at GOP boundaries, hands pictures to bounded rung queues;
/// - one encoder thread per rung (libx264, `tune zerolatency`, VBV-capped bitrate);
/// - one audio thread (decode once; AAC and/or Opus renditions).
///
/// Output goes to a `RenditionSink` (use `HubRenditionSink` to publish each rendition into
/// the hub under `<path>/<rendition>`). Input comes from a hub `ReaderQueue` (`start(reading:)`)
/// or from `push` (`start()`), e.g. a file in the benchmark.
///
/// Overload (`TranscodeConfiguration.overload`): live sessions never block ingest — a rung
/// that falls behind loses frames (counted, keyframes kept so rungs stay aligned) and memory
/// stays bounded by the queue capacities; `.block` makes producers wait instead.
public final class TranscodeSession: Sendable {
    public let configuration: TranscodeConfiguration
    private let sink: any RenditionSink
    private let logger: Logger
    private let recorder = StatsRecorder()
    private let control = SessionControl()
    private let threads = DispatchGroup()
    private let stopping = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    /// The hub reader this session reads, closed by `stop()` to wake the decode thread at once.
    private let hubReader = Mutex<ReaderQueue?>(nil)
    private let pushQueue: PushInput

    /// Input handed over by `push`: lossy in live mode (drops to the next keyframe, like a
    /// hub reader), waiting in `.block` mode.
    private enum PushInput: Sendable {
        case lossy(ReaderQueue)
        case waiting(CodecQueue<HubEvent>)
    }

    public init(configuration: TranscodeConfiguration = TranscodeConfiguration(), sink: any RenditionSink,
                logger: Logger = Logger(label: "sluice.transcode")) {
        self.configuration = configuration
        self.sink = sink
        self.logger = logger
        switch configuration.overload {
        case .dropFrames: pushQueue = .lossy(ReaderQueue(capacity: configuration.inputQueueCapacity))
        case .block: pushQueue = .waiting(CodecQueue(policy: CodecQueuePolicy(capacity: configuration.inputQueueCapacity, blocking: true)))
        }
    }

    /// Starts the threads, reading the stream from a hub reader (the server's path). The
    /// session ends when the reader closes or `stop()` is called.
    public func start(reading reader: ReaderQueue) {
        hubReader.withLock { $0 = reader }
        startDecodeThread { [self] in
            while !stopping.load(ordering: .relaxed) {
                // `stop()` closes the reader, which wakes this wait: the timeout is only a safety net.
                if let event = reader.next(timeout: .seconds(5)) { return event }
                if reader.isClosed && reader.count == 0 { return nil }
            }
            return nil
        }
    }

    /// Starts the threads for input given with `push`; end it with `finish()`.
    public func start() {
        switch pushQueue {
        case .lossy(let queue): start(reading: queue)
        case .waiting(let queue): startDecodeThread { queue.pop() }
        }
    }

    /// Hands one event to the session (after `start()`). Live mode never waits.
    public func push(_ event: HubEvent) {
        switch pushQueue {
        case .lossy(let queue): queue.push(event)
        case .waiting(let queue): queue.push(event)
        }
    }

    /// End of pushed input: the threads drain their queues and stop; returns when all are done.
    public func finish() {
        switch pushQueue {
        case .lossy(let queue): queue.close()
        case .waiting(let queue): queue.close()
        }
        waitUntilDone()
    }

    /// Stops reading at once (what is queued is still encoded) and waits for the threads.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        hubReader.withLock { $0 }?.close()
        finish()
    }

    public func waitUntilDone() {
        guard started.load(ordering: .acquiring) else { return }
        threads.wait()
    }

    /// Changes a rung's target bitrate (bps) from its next frame on; the VBV cap and buffer
    /// follow (x264_encoder_reconfig through libavcodec). Also applies to a rung not started yet.
    public func setBitrate(_ bitsPerSecond: Int, rung: String) {
        control.setBitrate(bitsPerSecond, rung: rung)
    }

    /// The next frame of every rung is a keyframe (WebRTC viewers: join, PLI/FIR). Callers rate-limit.
    public func requestKeyframe() {
        control.requestKeyframe()
    }

    public var stats: TranscodeStats {
        var s = recorder.snapshot
        if case .lossy(let queue) = pushQueue { s.inputDropped += queue.dropped }
        return s
    }

    private func startDecodeThread(_ next: @escaping @Sendable () -> HubEvent?) {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let (config, sink, recorder, logger, control, threads) = (configuration, sink, recorder, logger, control, threads)
        threads.enter()
        let thread = Thread {
            ThreadName.setCurrent("tc-decode")
            let pipeline = DecodePipeline(config: config, sink: sink, stats: recorder, logger: logger,
                                          control: control, threads: threads)
            while let event = next() { pipeline.handle(event) }
            pipeline.finish()
            threads.leave()
        }
        thread.name = "sluice.transcode.decode"
        thread.stackSize = 4 << 20
        thread.start()
    }
}
