import Bitstream
import MediaCore
import NIOCore

/// Turns demuxed MPEG-TS packets into hub units: Annex B H.264 and HEVC become length-prefixed
/// NALs with an avcC / hvcC built from the in-band parameter sets (checked by Bitstream's SPS
/// parsers, which also size the track); ADTS AAC becomes raw frames with an
/// AudioSpecificConfig. Units are held back until every track's configuration is known.
struct TSUnitBuilder {
    enum Kind { case h264, hevc, aac, unsupported }

    struct Input {
        var kind: Kind
        var hint: TrackInfo?
    }

    private let inputs: [Int: Input]
    private var configs: [Int: TrackInfo] = [:]
    private(set) var tracks: [TrackInfo] = []
    /// Set when `tracks` changed since the caller last looked; the caller publishes them.
    var tracksChanged = false
    private(set) var droppedBeforeConfig = 0
    /// Video before the first keyframe cannot be decoded by any reader: held back too.
    private var sawKeyframe = false

    static func kind(codecName: String) -> Kind {
        switch codecName {
        case "h264": .h264
        case "hevc": .hevc
        case "aac": .aac
        default: .unsupported
        }
    }

    /// `streams`: index → (FFmpeg codec name, what the demuxer learned about it).
    init(streams: [(index: Int, codecName: String, hint: TrackInfo?)]) {
        var map: [Int: Input] = [:]
        for s in streams {
            map[s.index] = Input(kind: Self.kind(codecName: s.codecName), hint: s.hint)
        }
        inputs = map
    }

    /// Why a publish with these streams cannot be served, or nil. Video Sluice cannot carry is
    /// refused (a show without its picture is not a show); such audio beside video is dropped,
    /// and the caller warns about it.
    static func refusal(streams: [(codecName: String, kind: TrackKind?)]) -> String? {
        let video = streams.filter { $0.kind == .video }
        let carried = streams.filter { kind(codecName: $0.codecName) != .unsupported }
        if !video.isEmpty, !video.contains(where: { kind(codecName: $0.codecName) != .unsupported }) {
            return "video codec \(video.map(\.codecName).joined(separator: ", ")) is not supported over SRT (Sluice carries H.264 or HEVC video with AAC audio)"
        }
        if carried.isEmpty {
            let names = streams.map(\.codecName).joined(separator: ", ")
            return "no stream Sluice can carry (\(names.isEmpty ? "no streams" : names)); it carries H.264 or HEVC video with AAC audio"
        }
        return nil
    }

    /// Raw AAC frames (from `AACTranscoder`) as back-to-back ADTS frames, which `units` reads
    /// like any AAC input.
    static func adts(_ frames: [[UInt8]], sampleRate: Int, channels: Int) -> [UInt8] {
        let index = UInt8(ADTSHeader.sampleRates.firstIndex(of: sampleRate) ?? 3)
        return frames.flatMap { frame in
            ADTSHeader(objectType: 2, sampleRateIndex: index, channelConfiguration: UInt8(clamping: channels),
                       payloadLength: frame.count).bytes + frame
        }
    }

    var unsupportedCodecs: [Int] { inputs.filter { $0.value.kind == .unsupported }.map(\.key).sorted() }
    private var expected: Int { inputs.values.filter { $0.kind != .unsupported }.count }
    var isReady: Bool { expected > 0 && configs.count == expected }

    /// Throws when in-band parameter sets cannot be valid (the publish should end).
    mutating func units(stream index: Int, bytes: [UInt8], pts: Int64, dts: Int64, timebase: Rational,
                        wallClock: Int64) throws(BitstreamError) -> [MediaUnit] {
        guard let input = inputs[index] else { return [] }
        var produced: [MediaUnit] = []
        switch input.kind {
        case .unsupported:
            return []
        case .h264:
            let nals = NALUnits.splitAnnexB(bytes)
            let sps = nals.filter { NALUnits.h264Type($0) == 7 }.map(Array.init)
            let pps = nals.filter { NALUnits.h264Type($0) == 8 }.map(Array.init)
            if let first = sps.first, !pps.isEmpty {
                let parsed = try H264SPS(nal: first)
                let record = AVCDecoderConfigurationRecord(sps: sps, pps: pps)
                setConfig(index, video(input, .h264, timebase, record.bytes, parsed.width, parsed.height))
            }
            // Parameter sets travel in the avcC; access unit delimiters carry nothing.
            let payload = nals.filter { ![7, 8, 9].contains(NALUnits.h264Type($0)) }
            guard !payload.isEmpty else { return [] }
            let key = payload.contains { NALUnits.h264Type($0) == 5 }
            produced.append(MediaUnit(track: .video, pts: pts, dts: dts, timebase: timebase, isKeyframe: key,
                                      data: ByteBuffer(bytes: NALUnits.joinLengthPrefixed(payload)),
                                      ingestWallClock: wallClock))
        case .hevc:
            let nals = NALUnits.splitAnnexB(bytes)
            func of(_ type: UInt8) -> [[UInt8]] { nals.filter { NALUnits.hevcType($0) == type }.map(Array.init) }
            let (vps, sps, pps) = (of(32), of(33), of(34))
            if let first = sps.first, !vps.isEmpty, !pps.isEmpty {
                let parsed = try H265SPS(nal: first)
                let record = HEVCDecoderConfigurationRecord(vps: vps, sps: sps, pps: pps)
                setConfig(index, video(input, .hevc, timebase, record.bytes, parsed.width, parsed.height))
            }
            // Parameter sets travel in the hvcC; access unit delimiters (35) carry nothing.
            let payload = nals.filter { ![32, 33, 34, 35].contains(NALUnits.hevcType($0)) }
            guard !payload.isEmpty else { return [] }
            let key = payload.contains { (16...21).contains(NALUnits.hevcType($0) ?? 0) } // IRAP pictures
            produced.append(MediaUnit(track: .video, pts: pts, dts: dts, timebase: timebase, isKeyframe: key,
                                      data: ByteBuffer(bytes: NALUnits.joinLengthPrefixed(payload)),
                                      ingestWallClock: wallClock))
        case .aac:
            let frames = ADTSHeader.frames(in: bytes)
            guard let first = frames.first, let rate = first.header.sampleRate else { return [] }
            var info = input.hint ?? TrackInfo(codec: .aac, timebase: timebase)
            info.timebase = timebase
            info.extradata = ByteBuffer(bytes: first.header.audioSpecificConfig)
            info.sampleRate = rate
            info.channels = Int(first.header.channelConfiguration)
            setConfig(index, info)
            // A PES packet often holds several ADTS frames; each is 1024 samples later.
            let step = Rational(1024, Int32(rate)).rescale(1, to: timebase)
            for (n, frame) in frames.enumerated() {
                let offset = step * Int64(n)
                produced.append(MediaUnit(track: .audio, pts: pts + offset, dts: dts + offset, timebase: timebase,
                                          isKeyframe: true, data: ByteBuffer(bytes: frame.payload),
                                          ingestWallClock: wallClock))
            }
        }
        guard isReady else {
            droppedBeforeConfig += produced.count
            return []
        }
        if !sawKeyframe, let first = produced.first, first.track == .video {
            guard first.isKeyframe else {
                droppedBeforeConfig += produced.count
                return []
            }
            sawKeyframe = true
        }
        return produced
    }

    /// The video track: the demuxer's hint, sized by our own SPS parse.
    private func video(_ input: Input, _ codec: CodecID, _ timebase: Rational, _ record: [UInt8],
                       _ width: Int, _ height: Int) -> TrackInfo {
        var info = input.hint ?? TrackInfo(codec: codec, timebase: timebase)
        info.timebase = timebase
        info.extradata = ByteBuffer(bytes: record)
        info.width = width
        info.height = height
        return info
    }

    private mutating func setConfig(_ index: Int, _ info: TrackInfo) {
        if configs[index] == info { return }
        configs[index] = info
        guard isReady else { return }
        tracks = configs.keys.sorted().compactMap { configs[$0] }
        tracksChanged = true
    }
}
