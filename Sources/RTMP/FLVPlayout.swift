import MediaCore
import NIOCore

/// Turns a stream's tracks, units and metadata into RTMP messages for one player: onMetaData
/// and sequence headers first, video from a keyframe, timestamps monotonic across publisher
/// takeovers (which restart them).
public struct FLVPlayout: Sendable {
    public let streamID: UInt32
    private var tracks: [TrackInfo] = []
    private var publisherMetadata: [String: String] = [:]
    private var offset: Int64 = 0
    private var lastOut: Int64 = 0
    private var started = false
    private var rebase = true
    private var sentVideoKeyframe = false

    public init(streamID: UInt32) {
        self.streamID = streamID
    }

    public mutating func tracksChanged(_ new: [TrackInfo]) -> [RTMPMessage] {
        tracks = new
        var out = [onMetaData()]
        for t in new {
            guard let config = t.extradata else { continue }
            switch t.codec {
            case .h264, .hevc, .av1:
                out.append(message(.video, FLVVideoPacket.sequenceStart(t.codec, config: config).serialize(), lastOut))
                sentVideoKeyframe = false
            case .aac:
                out.append(message(.audio, FLVAudioPacket.aacSequenceHeader(config).serialize(), lastOut))
            case .opus, .mp3:
                break
            }
        }
        return out
    }

    public mutating func metadataChanged(_ metadata: [String: String]) -> [RTMPMessage] {
        publisherMetadata = metadata
        return [onMetaData()]
    }

    /// The publisher changed: timestamps restart, so rebase at the next unit.
    public mutating func discontinuity() {
        rebase = true
    }

    public mutating func unit(_ unit: MediaUnit) -> [RTMPMessage] {
        guard let track = tracks.first(where: { $0.kind == unit.track }) else { return [] }
        let dts = unit.timebase.rescale(unit.dts, to: .milliseconds)
        let cts = unit.timebase.rescale(unit.pts - unit.dts, to: .milliseconds)
        let isVideo = track.kind == .video
        if isVideo && !sentVideoKeyframe {
            guard unit.isKeyframe else { return [] }
            sentVideoKeyframe = true
        }
        if rebase {
            offset = (started ? lastOut + 1 : 0) - dts
            rebase = false
            started = true
        }
        let ts = max(lastOut - 1000, dts + offset, 0) // small back-steps between tracks pass as sent
        switch track.codec {
        case .h264, .hevc, .av1:
            lastOut = max(lastOut, ts)
            return [message(.video, FLVVideoPacket.frame(track.codec, keyframe: unit.isKeyframe,
                                                         compositionTime: Int32(clamping: cts), data: unit.data).serialize(), ts)]
        case .aac:
            lastOut = max(lastOut, ts)
            return [message(.audio, FLVAudioPacket.aacFrame(unit.data).serialize(), ts)]
        case .mp3:
            lastOut = max(lastOut, ts)
            return [message(.audio, FLVAudioPacket.mp3Frame(unit.data, sampleRate: track.sampleRate, channels: track.channels).serialize(), ts)]
        case .opus:
            return []
        }
    }

    private func message(_ type: RTMPMessageType, _ payload: ByteBuffer, _ ts: Int64) -> RTMPMessage {
        let csid = type == .video ? RTMPChunkStreamID.video : RTMPChunkStreamID.audio
        return RTMPMessage(chunkStreamID: csid, type: type, streamID: streamID,
                           timestamp: UInt32(truncatingIfNeeded: ts), payload: payload)
    }

    func onMetaData() -> RTMPMessage {
        var props: [AMFProperty] = []
        var seen = Set<String>()
        func add(_ key: String, _ value: AMFValue) {
            guard seen.insert(key).inserted else { return }
            props.append(AMFProperty(key, value))
        }
        for t in tracks {
            switch t.kind {
            case .video:
                if t.width > 0 { add("width", .number(Double(t.width))); add("height", .number(Double(t.height))) }
                if let r = t.frameRate, r.den != 0 { add("framerate", .number(Double(r.num) / Double(r.den))) }
                add("videocodecid", t.codec == .h264 ? .number(7) : .string(t.codec == .hevc ? "hvc1" : "av01"))
                if let b = t.bitrate { add("videodatarate", .number(Double(b) / 1000)) }
            case .audio:
                add("audiocodecid", .number(t.codec == .aac ? 10 : 2))
                if t.sampleRate > 0 { add("audiosamplerate", .number(Double(t.sampleRate))) }
                if t.channels > 0 { add("stereo", .boolean(t.channels > 1)) }
                if let b = t.bitrate { add("audiodatarate", .number(Double(b) / 1000)) }
            }
        }
        for key in ["encoder", "title"] {
            if let v = publisherMetadata[key] { add(key, .string(v)) }
        }
        add("server", .string("Sluice"))
        let payload = AMF0.encode([.string("onMetaData"), .ecmaArray(props)])
        return RTMPMessage(chunkStreamID: RTMPChunkStreamID.data, type: .amf0Data, streamID: streamID, timestamp: 0, payload: payload)
    }
}
