import MediaCore
import StreamHub
import Synchronization

/// Publishes each video rung into the hub at `<path>/<rung>` with the session's AAC audio, so
/// a relay player can be moved to a lower rendition of its stream (`RTMPConnectionHandler`'s
/// send-delay control) or play one directly. Called from the session's codec threads.
public final class HubRenditionSink: RenditionSink {
    private let hub: StreamHub
    private let path: String
    private let state = Mutex(State())

    struct State {
        var video: [String: TrackInfo] = [:]
        var audio: TrackInfo?
        var audioName: String?
        var publishers: [String: Publisher] = [:]
    }

    public init(hub: StreamHub, path: String) {
        self.hub = hub
        self.path = path
    }

    public func start(_ rendition: Rendition) {
        let updates = state.withLock { s -> [(Publisher, [TrackInfo])] in
            switch rendition.track.kind {
            case .video:
                s.video[rendition.name] = rendition.track
                if s.publishers[rendition.name] == nil {
                    s.publishers[rendition.name] = hub.publish(path: "\(path)/\(rendition.name)")
                }
            case .audio:
                // The first AAC rendition is the ladder's audio, as in the HLS variants.
                guard rendition.track.codec == .aac, s.audioName == nil || s.audioName == rendition.name else { return [] }
                s.audio = rendition.track
                s.audioName = rendition.name
            }
            return s.publishers.compactMap { name, p in s.video[name].map { (p, [$0] + (s.audio.map { [$0] } ?? [])) } }
        }
        for (publisher, tracks) in updates { publisher.setTracks(tracks) }
    }

    public func unit(_ unit: MediaUnit, rendition name: String) {
        let targets = state.withLock { s -> [Publisher] in
            if unit.track == .audio { return name == s.audioName ? Array(s.publishers.values) : [] }
            return s.publishers[name].map { [$0] } ?? []
        }
        for p in targets { p.write(unit) }
    }

    public func end(rendition name: String) {
        state.withLock { $0.publishers.removeValue(forKey: name) }?.end()
    }
}
