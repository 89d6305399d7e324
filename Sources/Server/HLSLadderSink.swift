import HLS
import Logging
import MediaCore
import StreamHub
import Synchronization
import Transcode

/// Glues a transcode session to an HLS stream: every video rung becomes an HLS rendition that
/// also carries the session's AAC audio, so each variant plays on its own (the way hls.js and
/// native players switch). Called from the session's codec threads; muxing happens there.
final class HLSLadderSink: RenditionSink {
    private let hls: HLSStream
    /// Whether the source has audio: a rung waits for the audio track only if there is one.
    private let sourceHasAudio: @Sendable () -> Bool
    private let logger: Logger
    private let state = Mutex(State())

    struct State {
        var video: [String: TrackInfo] = [:]
        var audio: TrackInfo?
        var audioName: String?
        var renditions: [String: HLSRendition] = [:]
    }

    init(hls: HLSStream, sourceHasAudio: @escaping @Sendable () -> Bool, logger: Logger) {
        self.hls = hls
        self.sourceHasAudio = sourceHasAudio
        self.logger = logger
    }

    func start(_ rendition: Rendition) {
        state.withLock { s in
            switch rendition.track.kind {
            case .video:
                s.video[rendition.name] = rendition.track
            case .audio:
                // The first AAC rendition is the ladder's audio; Opus stays out of the muxed variants.
                guard rendition.track.codec == .aac, s.audioName == nil || s.audioName == rendition.name else { return }
                s.audio = rendition.track
                s.audioName = rendition.name
            }
            // Renditions that exist get the new tracks (a new SPS, or audio arriving late).
            for (name, r) in s.renditions {
                guard let v = s.video[name] else { continue }
                do { try r.setTracks([v] + (s.audio.map { [$0] } ?? [])) } catch {
                    logger.error("hls \(hls.path)/\(name): new tracks: \(error)")
                }
            }
        }
    }

    func unit(_ unit: MediaUnit, rendition name: String) {
        let targets: [HLSRendition] = state.withLock { s in
            if unit.track == .audio {
                return name == s.audioName ? Array(s.renditions.values) : []
            }
            if let r = s.renditions[name] { return [r] }
            guard let video = s.video[name], unit.isKeyframe else { return [] }
            if s.audio == nil && sourceHasAudio() { return [] } // wait for the audio track
            do {
                let r = try hls.rendition(name: name, tracks: [video] + (s.audio.map { [$0] } ?? []))
                s.renditions[name] = r
                return [r]
            } catch {
                logger.error("hls \(hls.path)/\(name): \(error)")
                return []
            }
        }
        for r in targets {
            do { try r.write(unit) } catch {
                // One bad unit must not stop the rung; the next keyframe starts clean.
                logger.warning("hls \(hls.path)/\(r.name): \(error)")
            }
        }
    }

    func end(rendition name: String) {
        // The stream's end (or a republish) is the pipeline's call, not one rung's.
    }
}
