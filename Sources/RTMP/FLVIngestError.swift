/// Why FLV ingest refused a publisher's media. The connection handler closes the publish and
/// logs `description`, which names the codec or the field at fault.
public enum FLVIngestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A codec Sluice cannot serve over HLS (e.g. Sorenson H.263 video, MP3 or Speex audio).
    case unsupportedCodec(kind: String, name: String)
    /// A sequence header whose configuration cannot be valid (an SPS sized 2^31, ...).
    case invalidSequenceHeader(codec: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedCodec(let kind, let name):
            "unsupported \(kind) codec \(name): Sluice carries H.264, HEVC or AV1 video with AAC audio over RTMP"
        case .invalidSequenceHeader(let codec, let reason):
            "invalid \(codec) sequence header: \(reason)"
        }
    }
}
