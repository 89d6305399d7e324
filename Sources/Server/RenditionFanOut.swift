import MediaCore
import Transcode

/// Hands a session's renditions to several sinks in turn (HLS and the hub).
struct RenditionFanOut: RenditionSink {
    let sinks: [any RenditionSink]

    func start(_ rendition: Rendition) { for s in sinks { s.start(rendition) } }
    func unit(_ unit: MediaUnit, rendition: String) { for s in sinks { s.unit(unit, rendition: rendition) } }
    func end(rendition: String) { for s in sinks { s.end(rendition: rendition) } }
}
