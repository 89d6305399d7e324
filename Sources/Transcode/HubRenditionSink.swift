import MediaCore
import StreamHub
import Synchronization

/// Publishes each rendition into the hub as its own stream at `<path>/<rendition>` (e.g.
/// `live/cam/720p`, `live/cam/aac`), one track each, so the HLS packager and relays read
/// renditions like any other stream.
public final class HubRenditionSink: RenditionSink {
    public let hub: StreamHub
    public let path: String
    private let publishers = Mutex<[String: Publisher]>([:])

    public init(hub: StreamHub, path: String) {
        self.hub = hub
        self.path = path
    }

    public func path(for rendition: String) -> String { "\(path)/\(rendition)" }

    public func start(_ rendition: Rendition) {
        let publisher = publishers.withLock { map -> Publisher in
            if let p = map[rendition.name] { return p }
            let p = hub.publish(path: path(for: rendition.name))
            map[rendition.name] = p
            return p
        }
        publisher.setTracks([rendition.track])
    }

    public func unit(_ unit: MediaUnit, rendition: String) {
        publishers.withLock { $0[rendition] }?.write(unit)
    }

    public func end(rendition: String) {
        publishers.withLock { $0.removeValue(forKey: rendition) }?.end()
    }
}
