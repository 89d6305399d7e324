import Bitstream
import MediaCore
import StreamHub

/// What a WHEP viewer reads: a video stream of the hub (a rung `<path>/<rung>`, or the stream
/// itself when it has no ladder) and the ladder's Opus rendition `<path>/opus`, if any.
struct WHEPSource: Sendable {
    let video: LiveStream
    let audio: LiveStream?
    var videoPath: String { video.path }
    var audioPath: String? { audio?.path }
    /// The video's profile-level-id (`640c1f`), from its avcC, for the H.264 negotiation.
    let profileLevelID: String?
    /// The viewer named no rendition and the stream has a ladder: it moves along it.
    let adaptive: Bool
    let hub: StreamHub
    let path: String

    /// The ladder now, by falling bitrate.
    func ladder() -> [LiveStream] { hub.renditions(of: path) }

    static let opusRendition = "opus"

    /// `rendition` nil: the top rung (the ladder's best), else the stream's own video.
    static func resolve(hub: StreamHub, path: String, rendition: String?) throws(MediaSessionError) -> WHEPSource {
        guard let stream = hub.stream(path), !stream.isDerived, stream.hasPublisher else {
            throw .notFound("no live stream \(path)")
        }
        let video: LiveStream
        let ladder = hub.renditions(of: path)
        if let rendition {
            guard rendition != opusRendition, let r = hub.stream("\(path)/\(rendition)"), r.isDerived else {
                throw .notFound("no rendition \(rendition) of \(path) (renditions: \(hub.renditions(of: path).map { $0.path.split(separator: "/").last.map(String.init) ?? "" }))")
            }
            video = r
        } else if let top = ladder.first {
            video = top
        } else {
            video = stream
        }
        guard let track = video.tracks.first(where: { $0.kind == .video }) else {
            throw .notFound("\(video.path) has no video yet")
        }
        guard track.codec == .h264 else {
            throw .notFound("\(video.path) is \(track.codec.rawValue); WHEP sends H.264 (play a rung of the ladder)")
        }
        let audio = hub.stream("\(path)/\(opusRendition)").flatMap { $0.tracks.contains { $0.codec == .opus } ? $0 : nil }
        return WHEPSource(video: video, audio: audio, profileLevelID: profileLevelID(track),
                          adaptive: rendition == nil && ladder.count > 1, hub: hub, path: path)
    }

    static func profileLevelID(_ track: TrackInfo) -> String? {
        guard let extradata = track.extradata,
              let avcC = AVCDecoderConfigurationRecord(bytes: extradata.readableBytesView) else { return nil }
        return [avcC.profile, avcC.compatibility, avcC.level].map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
