/// Codecs Sluice carries. Raw values are FFmpeg's codec names, so they round-trip through
/// `avcodec_find_decoder_by_name`.
public enum CodecID: String, Sendable, Hashable {
    case h264
    case hevc
    case av1
    case aac
    case opus
    case mp3

    public var kind: TrackKind {
        switch self {
        case .h264, .hevc, .av1: .video
        case .aac, .opus, .mp3: .audio
        }
    }
}
