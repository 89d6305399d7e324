import Config
import MediaCore
import StreamHub
import Synchronization
import Transcode

/// Publishes the ladder's Opus rendition into the hub at `<path>/opus` (audio only), so every
/// WebRTC viewer of the path reads the same encode: a WHEP session never encodes per viewer.
/// The HLS variants and the `<path>/<rung>` streams keep the AAC audio. Called from the
/// session's audio thread.
final class WebRTCAudioSink: RenditionSink {
    /// The hub path's last component for the Opus rendition.
    static let rendition = "opus"

    private let hub: StreamHub
    private let path: String
    private let state = Mutex<(name: String?, publisher: Publisher?)>((nil, nil))

    init(hub: StreamHub, path: String) {
        self.hub = hub
        self.path = path
    }

    func start(_ rendition: Rendition) {
        guard rendition.track.codec == .opus else { return }
        let publisher = state.withLock { s -> Publisher? in
            guard s.name == nil || s.name == rendition.name else { return nil } // the first Opus rendition
            s.name = rendition.name
            if s.publisher == nil { s.publisher = hub.publish(path: "\(path)/\(Self.rendition)") }
            return s.publisher
        }
        publisher?.setTracks([rendition.track])
    }

    func unit(_ unit: MediaUnit, rendition name: String) {
        guard unit.track == .audio, let publisher = state.withLock({ $0.name == name ? $0.publisher : nil }) else { return }
        publisher.write(unit)
    }

    func end(rendition name: String) {
        let publisher = state.withLock { s -> Publisher? in
            guard s.name == name else { return nil }
            defer { s.publisher = nil }
            return s.publisher
        }
        publisher?.end()
    }
}

extension WebRTCAudioSink {
    /// With WebRTC on, the ladder also encodes Opus (48 kHz, once per stream) unless it already does.
    static func addOpus(to settings: inout TranscodeConfiguration, webrtc: SluiceConfig.WebRTC) {
        guard webrtc.enabled, !settings.audio.isEmpty, !settings.audio.contains(where: { $0.codec == .opus }) else { return }
        settings.audio.append(.opus96k)
    }
}
