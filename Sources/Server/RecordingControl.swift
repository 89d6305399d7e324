#if canImport(Glibc)
import Glibc
#endif
import Config
import CoreMetrics
import Foundation
import HLS
import Logging
import Synchronization

/// Which streams are recorded: the configuration (`recording.enabled`, `paths[].record`, read
/// at each stream's start) and the API (`POST/DELETE /api/v1/streams/{path}/recording`).
final class RecordingControl: Sendable {
    let recorder: StreamRecorder
    private let config: ConfigStore
    private let registry: HLSRegistry
    /// Paths the API asked to record (also their next streams, until DELETE).
    private let requested = Mutex<Set<String>>([])
    private let failures: CoreMetrics.Counter
    private let active: CoreMetrics.Gauge

    init(file: SluiceConfig, config: ConfigStore, registry: HLSRegistry, targetDuration: Int, factory: any MetricsFactory, logger: Logger) {
        // A file-size limit (RLIMIT_FSIZE) must fail the write (EFBIG), not kill the server.
        signal(SIGXFSZ, SIG_IGN)
        let r = file.recording
        let settings = RecordingSettings(directory: r.directory, renditions: r.renditions, maxAgeSeconds: r.maxAgeHours * 3600,
                                         maxTotalBytes: Int64(r.maxTotalMiB) << 20, resumeWindowSeconds: r.resumeWindowSeconds,
                                         queueBytes: min(max(r.queueMiB, 1), 4096) << 20, targetDuration: targetDuration)
        recorder = StreamRecorder(settings: settings, logger: logger)
        self.config = config
        self.registry = registry
        let failures = CoreMetrics.Counter(label: "sluice_recording_failures_total", factory: factory)
        self.failures = failures
        active = CoreMetrics.Gauge(label: "sluice_recordings_active", factory: factory)
        recorder.onFailure { _ in failures.increment() }
        registry.onStreamCreated { [weak self] stream in
            guard let self, self.shouldRecord(stream.path) else { return }
            self.recorder.start(stream)
        }
    }

    func shouldRecord(_ path: String) -> Bool {
        if requested.withLock({ $0.contains(path) }) { return true }
        let c = config.current
        return c.rule(for: path)?.record ?? c.recording.enabled
    }

    /// API start: records the live stream now (if any) and the path's next streams.
    func start(_ path: String) -> (RecordingStatus?, String?) {
        guard RecordingID.safeStreamPath(path) != nil else { return (nil, "the path has characters not allowed in a file name") }
        requested.withLock { _ = $0.insert(path) }
        if let stream = registry.stream(path), !stream.isEnded {
            recorder.start(stream)
        }
        if let status = recorder.status(path) { return (status, nil) }
        // Not live yet: its next stream is recorded.
        var waiting = RecordingStatus(path: path, id: "", state: .recording)
        waiting.url = ""
        return (waiting, nil)
    }

    /// API stop: ENDLIST now; the path's next streams follow the configuration again.
    func stop(_ path: String) -> RecordingStatus? {
        let wasRequested = requested.withLock { $0.remove(path) != nil }
        let status = recorder.stop(path)
        guard let status else {
            // Asked for, but nothing was live: no recording was made.
            guard wasRequested else { return nil }
            var none = RecordingStatus(path: path, id: "", state: .finished)
            none.url = ""
            return none
        }
        return status
    }

    /// Scrape time: recordings running now.
    func collect() {
        active.record(recorder.activeStatuses.filter { $0.state == .recording }.count)
    }
}
