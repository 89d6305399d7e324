import Foundation
import Logging
import MediaCore
import StreamHub
import Synchronization

/// Records HLS streams to disk by reusing the packager's output: each completed segment's
/// bytes (the parts as published) and its init segment are written as they are, with a VOD
/// playlist per rendition and a multivariant playlist per recording. No second encode or mux.
///
/// Layout: `<directory>/<stream path>/<recording id>/index.m3u8` (multivariant),
/// `<rendition>/index.m3u8`, `<rendition>/init-<n>.mp4`, `<rendition>/seg-<msn>.m4s`.
///
/// Threads: the packager's threads only hand completed segments to a bounded queue (a full
/// queue drops the segment, counted, and the next gets EXT-X-DISCONTINUITY). One dedicated disk
/// thread writes, fsyncs and renames, rewrites playlists and prunes old recordings.
public final class StreamRecorder: Sendable {
    public let settings: RecordingSettings
    private let logger: Logger
    private let queue: HandOffQueue<RecordingQueuePolicy>
    private let state = Mutex(State())
    private let done = ThreadExit()
    /// Told once per recording that fails (the server's metric).
    private let failureObserver = CallbackSlot<String>()

    struct Active {
        var key: Int
        var stream: HLSStream
        /// Renditions that lost a segment to the full queue: their next one carries a discontinuity.
        var gaps: Set<String> = []
        var status: RecordingStatus
    }

    struct State {
        var nextKey = 0
        /// By stream path.
        var active: [String: Active] = [:]
        var failures = 0
    }

    public init(settings: RecordingSettings, logger: Logger = Logger(label: "sluice.recording")) {
        self.settings = settings
        self.logger = logger
        queue = HandOffQueue(policy: RecordingQueuePolicy(byteCapacity: settings.queueBytes))
        let thread = Thread { [queue, settings, logger, weak self] in
            var disk = RecordingDiskWriter(settings: settings, logger: logger)
            var lastRetention = ContinuousClock.now
            let interval = Duration.milliseconds(Int64(settings.retentionIntervalSeconds * 1000))
            while true {
                let job = queue.pop(timeout: interval)
                if job == nil && queue.isClosed { break }
                if let job { disk.handle(job, report: { key, status in self?.update(key: key, status) }) }
                if ContinuousClock.now - lastRetention >= interval {
                    disk.handle(.retention, report: { _, _ in })
                    lastRetention = ContinuousClock.now
                }
            }
            // Only `shutdown()` finishes (it queued a finish for each recording): a recorder
            // dropped without it leaves its recordings unfinished, as a crash would.
            self?.threadEnded()
        }
        thread.name = "recording-disk"
        thread.start()
    }

    deinit { queue.close() }

    /// `observer` hears the stream path of each recording that stops on a write error.
    public func onFailure(_ observer: @escaping @Sendable (String) -> Void) {
        failureObserver.set(observer)
    }

    public func isRecording(_ path: String) -> Bool { state.withLock { $0.active[path] != nil } }

    /// Starts recording `stream` (no-op if it is already recorded). Segments completed from now on are written.
    @discardableResult
    public func start(_ stream: HLSStream) -> Bool {
        guard RecordingID.safeStreamPath(stream.path) != nil else {
            logger.error("recording \(stream.path): the path has characters not allowed in a file name; not recorded")
            return false
        }
        let key = state.withLock { s -> Int? in
            if let a = s.active[stream.path], a.stream === stream { return nil }
            let key = s.nextKey
            s.nextKey += 1
            s.active[stream.path] = Active(key: key, stream: stream, status: RecordingStatus(path: stream.path, id: "", state: .recording))
            return key
        }
        guard let key else { return true }
        queue.push(.begin(key: key, path: stream.path))
        let path = stream.path
        stream.observeSegments { [weak self] event in self?.observed(event, key: key, path: path) }
        return true
    }

    /// Stops recording `path`: ENDLIST is written. false if it was not recorded.
    @discardableResult
    public func stop(_ path: String) -> RecordingStatus? {
        guard let a = state.withLock({ $0.active.removeValue(forKey: path) }) else { return nil }
        a.stream.observeSegments(nil)
        queue.push(.finish(key: a.key))
        var status = a.status
        if status.state == .recording { status.state = .finished }
        return status
    }

    /// Called on the packager's threads: hand off only.
    private func observed(_ event: SegmentEvent, key: Int, path: String) {
        switch event {
        case .segment(let segment):
            let gap = state.withLock { s -> Bool? in
                guard let a = s.active[path], a.key == key, a.status.state == .recording else { return nil }
                return s.active[path]!.gaps.remove(segment.rendition) != nil
            }
            guard let gap else { return }
            if !queue.push(.segment(key: key, segment, gap: gap)) {
                state.withLock { s in
                    guard s.active[path]?.key == key else { return }
                    s.active[path]!.gaps.insert(segment.rendition)
                    s.active[path]!.status.droppedSegments += 1
                }
                logger.warning("recording \(path): disk queue full, segment \(segment.segment.msn) of \(segment.rendition) dropped")
            }
        case .ended:
            let a = state.withLock { s -> Active? in
                guard s.active[path]?.key == key else { return nil }
                return s.active.removeValue(forKey: path)
            }
            if let a { a.stream.observeSegments(nil) }
            queue.push(.finish(key: key))
        }
    }

    /// The disk thread's report on recording `key`.
    private func update(key: Int, _ status: RecordingStatus) {
        let failed = state.withLock { s -> Bool in
            guard let (path, a) = s.active.first(where: { $0.value.key == key }) else { return false }
            var status = status
            status.droppedSegments = a.status.droppedSegments
            let newlyFailed = status.state == .failed && a.status.state != .failed
            s.active[path]!.status = status
            if newlyFailed { s.failures += 1 }
            return newlyFailed
        }
        if failed {
            // Live HLS goes on; this stream's segments are no longer handed off.
            failureObserver.callback?(status.path)
        }
    }

    /// Recordings that failed on a write since start (the metric).
    public var failures: Int { state.withLock { $0.failures } }

    /// Recordings being written now (and those that failed, until their stream ends).
    public var activeStatuses: [RecordingStatus] { state.withLock { $0.active.values.map(\.status) }.sorted { $0.path < $1.path } }

    public func status(_ path: String) -> RecordingStatus? { state.withLock { $0.active[path]?.status } }

    /// Every recording on disk, newest first, with the running ones' live state. Blocking (reads
    /// the directory): call off the event loops.
    public func list() -> [RecordingStatus] {
        let active = state.withLock { s in Dictionary(s.active.values.map { ($0.status.path + "/" + $0.status.id, $0.status) },
                                                      uniquingKeysWith: { a, _ in a }) }
        return RecordingCatalog.scan(settings.directory).map { found in
            active[found.path + "/" + found.id] ?? found
        }
    }

    /// Finishes every recording (ENDLIST), drains the queue and stops the disk thread.
    public func shutdown() async {
        let all = state.withLock { s -> [Active] in
            defer { s.active.removeAll() }
            return Array(s.active.values)
        }
        for a in all {
            a.stream.observeSegments(nil)
            queue.push(.finish(key: a.key))
        }
        queue.close()
        await done.wait()
    }

    private func threadEnded() { done.signal() }
}
