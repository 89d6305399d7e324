import Bitstream
import MediaCore
import NIOCore

/// Turns demuxed MPEG-TS packets into hub units: Annex B H.264 becomes length-prefixed NALs
/// with an avcC built from the in-band SPS/PPS; ADTS AAC becomes raw frames with an
/// AudioSpecificConfig. Units are held back until every track's configuration is known.
struct TSUnitBuilder {
    enum Kind { case h264, aac, unsupported }

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

    /// `streams`: index → (FFmpeg codec name, what the demuxer learned about it).
    init(streams: [(index: Int, codecName: String, hint: TrackInfo?)]) {
        var map: [Int: Input] = [:]
        for s in streams {
            let kind: Kind = s.codecName == "h264" ? .h264 : s.codecName == "aac" ? .aac : .unsupported
            map[s.index] = Input(kind: kind, hint: s.hint)
        }
        inputs = map
    }

    var unsupportedCodecs: [Int] { inputs.filter { $0.value.kind == .unsupported }.map(\.key).sorted() }
    private var expected: Int { inputs.values.filter { $0.kind != .unsupported }.count }
    var isReady: Bool { expected > 0 && configs.count == expected }

    mutating func units(stream index: Int, bytes: [UInt8], pts: Int64, dts: Int64, timebase: Rational,
                        wallClock: Int64) -> [MediaUnit] {
        guard let input = inputs[index] else { return [] }
        var produced: [MediaUnit] = []
        switch input.kind {
        case .unsupported:
            return []
        case .h264:
            let nals = NALUnits.splitAnnexB(bytes)
            let sps = nals.filter { NALUnits.h264Type($0) == 7 }.map(Array.init)
            let pps = nals.filter { NALUnits.h264Type($0) == 8 }.map(Array.init)
            if !sps.isEmpty, !pps.isEmpty {
                let record = AVCDecoderConfigurationRecord(sps: sps, pps: pps)
                var info = input.hint ?? TrackInfo(codec: .h264, timebase: timebase)
                info.timebase = timebase
                info.extradata = ByteBuffer(bytes: record.bytes)
                setConfig(index, info)
            }
            // Parameter sets travel in the avcC; access unit delimiters carry nothing.
            let payload = nals.filter { ![7, 8, 9].contains(NALUnits.h264Type($0)) }
            guard !payload.isEmpty else { return [] }
            let key = payload.contains { NALUnits.h264Type($0) == 5 }
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

    private mutating func setConfig(_ index: Int, _ info: TrackInfo) {
        if configs[index] == info { return }
        configs[index] = info
        guard isReady else { return }
        tracks = configs.keys.sorted().compactMap { configs[$0] }
        tracksChanged = true
    }
}
