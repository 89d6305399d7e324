import MediaCore
import Transcode

/// Times each encoded video unit of a session (received → encoded) for the metrics; runs on the
/// rung's encoder thread, next to the HLS and hub sinks.
struct StageLatencySink: RenditionSink {
    let path: String
    let metrics: ServerMetrics

    func start(_ rendition: Rendition) {}
    func unit(_ unit: MediaUnit, rendition: String) {
        guard unit.track == .video else { return }
        metrics.stageLatency(path: path, rendition: rendition, stage: .encoded, wallClock: unit.ingestWallClock)
    }
    func end(rendition: String) {}
}
