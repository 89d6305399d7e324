import Bitstream
import MediaCore
import NIOCore

/// Turns a publisher's audio, video and data messages into tracks, media units and metadata.
/// Pure: the caller passes the wall clock and forwards the events to the hub.
public struct FLVIngest: Sendable {
    public enum Event: Sendable {
        case tracks([TrackInfo])
        case unit(MediaUnit)
        case metadata([String: String])
    }

    public private(set) var video: TrackInfo?
    public private(set) var audio: TrackInfo?
    public private(set) var timestamps = TimestampRepair()
    /// Frames dropped because their codec configuration had not arrived, and other ignored input.
    public private(set) var ignored = 0
    public private(set) var lastIgnored: String?
    private var metaWidth = 0, metaHeight = 0, metaFrameRate: Double = 0
    private var metaVideoBitrate: Double = 0, metaAudioBitrate: Double = 0

    public init() {}

    public var tracks: [TrackInfo] { [video, audio].compactMap { $0 } }

    public mutating func handle(_ message: RTMPMessage, wallClock: Int64) throws -> [Event] {
        switch message.type {
        case .video: return try handleVideo(message, wallClock: wallClock)
        case .audio: return try handleAudio(message, wallClock: wallClock)
        case .amf0Data, .amf3Data: return try handleData(message)
        default: return []
        }
    }

    private mutating func handleVideo(_ message: RTMPMessage, wallClock: Int64) throws -> [Event] {
        switch try FLVVideoPacket.parse(message.payload) {
        case .sequenceStart(let codec, let config):
            var t = TrackInfo(codec: codec, timebase: .milliseconds, extradata: config,
                              width: metaWidth, height: metaHeight)
            if metaFrameRate > 0, metaFrameRate < 1000 { t.frameRate = Rational(Int32((metaFrameRate * 1000).rounded()), 1000) }
            if metaVideoBitrate > 0 { t.bitrate = (metaVideoBitrate * 1000).saturatingInt }
            // The SPS sizes the track; one that cannot be valid is refused here, before its
            // numbers reach a muxer or a decoder.
            do throws(BitstreamError) {
                if codec == .h264 {
                    let sps = try H264SPS(avcC: config.readableBytesView)
                    (t.width, t.height) = (sps.width, sps.height)
                } else if codec == .hevc {
                    let sps = try H265SPS(hvcC: config.readableBytesView)
                    (t.width, t.height) = (sps.width, sps.height)
                }
            } catch {
                throw FLVIngestError.invalidSequenceHeader(codec: codec == .h264 ? "H.264" : "HEVC", reason: error.description)
            }
            guard t != video else { return [] }
            video = t
            return [.tracks(tracks)]
        case .frame(let codec, let keyframe, let cts, let data):
            guard let v = video, v.codec == codec else { return skip("\(codec) frame before its sequence header") }
            let dts = timestamps.repair(message.timestamp, track: .video)
            return [.unit(MediaUnit(track: .video, pts: dts + Int64(max(0, cts)), dts: dts, timebase: .milliseconds,
                                    isKeyframe: keyframe, data: data, ingestWallClock: wallClock))]
        case .sequenceEnd, .metadata:
            return []
        case .unsupportedCodec(let name):
            throw FLVIngestError.unsupportedCodec(kind: "video", name: name)
        case .ignored(let why):
            return skip(why)
        }
    }

    private mutating func handleAudio(_ message: RTMPMessage, wallClock: Int64) throws -> [Event] {
        switch try FLVAudioPacket.parse(message.payload) {
        case .aacSequenceHeader(let asc):
            var t = TrackInfo(codec: .aac, timebase: .milliseconds, extradata: asc)
            if let c = try? AACAudioSpecificConfig(asc.readableBytesView) {
                t.sampleRate = c.sampleRate
                t.channels = c.channels
            }
            if metaAudioBitrate > 0 { t.bitrate = (metaAudioBitrate * 1000).saturatingInt }
            guard t != audio else { return [] }
            audio = t
            return [.tracks(tracks)]
        case .aacFrame(let data):
            guard audio?.codec == .aac else { return skip("AAC frame before its sequence header") }
            return [unit(.audio, message, data, wallClock)]
        case .mp3Frame:
            // HLS players (hls.js, in fMP4) cannot play MP3: refused rather than served broken.
            throw FLVIngestError.unsupportedCodec(kind: "audio", name: "MP3 (FLV sound format 2)")
        case .unsupportedCodec(let name):
            throw FLVIngestError.unsupportedCodec(kind: "audio", name: name)
        case .ignored(let why):
            return skip(why)
        }
    }

    private mutating func unit(_ track: TrackKind, _ message: RTMPMessage, _ data: ByteBuffer, _ wallClock: Int64) -> Event {
        let dts = timestamps.repair(message.timestamp, track: track)
        return .unit(MediaUnit(track: track, pts: dts, dts: dts, timebase: .milliseconds, isKeyframe: true,
                               data: data, ingestWallClock: wallClock))
    }

    private mutating func handleData(_ message: RTMPMessage) throws -> [Event] {
        var p = message.payload
        if message.type == .amf3Data, p.getInteger(at: p.readerIndex, as: UInt8.self) == 0 { p.moveReaderIndex(forwardBy: 1) }
        var values = try AMF0.readAll(&p)
        if values.first?.string == "@setDataFrame" { values.removeFirst() }
        guard values.first?.string == "onMetaData", values.count > 1, let props = values[1].properties else { return [] }
        var dict: [String: String] = [:]
        for prop in props {
            switch prop.value {
            case .number(let n):
                dict[prop.key] = n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
                switch prop.key {
                case "width": metaWidth = max(0, min(n.saturatingInt, 65_536))
                case "height": metaHeight = max(0, min(n.saturatingInt, 65_536))
                case "framerate", "fps": metaFrameRate = n
                case "videodatarate": metaVideoBitrate = n
                case "audiodatarate": metaAudioBitrate = n
                default: break
                }
            case .string(let s): dict[prop.key] = s
            case .boolean(let b): dict[prop.key] = String(b)
            default: break
            }
        }
        // Metadata that arrives after the sequence header fills in what the SPS did not give.
        if var v = video, v.width == 0, metaWidth > 0 {
            v.width = metaWidth
            v.height = metaHeight
            video = v
            return [.metadata(dict), .tracks(tracks)]
        }
        return [.metadata(dict)]
    }

    private mutating func skip(_ why: String) -> [Event] {
        ignored += 1
        lastIgnored = why
        return []
    }
}
