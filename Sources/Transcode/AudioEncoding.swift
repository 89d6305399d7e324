import CFFmpeg
import FFmpegBridge
import MediaCore
import NIOCore
import OpusCodec

/// One audio rendition on the audio thread: resampler → FIFO (re-chunks to the encoder's
/// frame size: 1024 for AAC, 960 for Opus) → encoder.
///
/// Not Sendable: confined to the audio thread.
final class AudioEncoding {
    let spec: AudioRenditionSpec
    private var resampler: Resampler?
    private var resamplerInput: (rate: Int, channels: Int, format: Int32)?
    private let fifo: AudioFifo
    private let aac: Encoder?
    private let opus: OpusEncoder?
    private let frameSize: Int
    /// Output pts of the next chunk, in 1/sampleRate.
    private var nextPTS: Int64?

    init(spec: AudioRenditionSpec) throws {
        self.spec = spec
        switch spec.codec {
        case .aac:
            let encoder = try Encoder(audio: AudioEncoderSettings(codecName: "aac", sampleRate: spec.sampleRate,
                                                                  channels: spec.channels, bitrate: spec.bitrate))
            aac = encoder
            opus = nil
            frameSize = encoder.frameSize > 0 ? encoder.frameSize : 1024
            fifo = try AudioFifo(format: encoder.sampleFormat, channels: spec.channels, sampleRate: spec.sampleRate)
        case .opus:
            let encoder = try OpusEncoder(sampleRate: 48000, channels: spec.channels, application: .audio)
            try encoder.setBitrate(spec.bitrate)
            opus = encoder
            aac = nil
            frameSize = 960
            fifo = try AudioFifo(format: AV_SAMPLE_FMT_FLT, channels: spec.channels, sampleRate: 48000)
        }
    }

    var timebase: Rational { Rational(1, Int32(clamping: spec.sampleRate)) }

    func track() throws -> TrackInfo {
        let extradata: [UInt8]
        switch spec.codec {
        case .aac: extradata = aac?.extradata ?? []
        case .opus: extradata = try opus?.opusHead() ?? []
        }
        return TrackInfo(codec: spec.codec == .aac ? .aac : .opus, timebase: timebase,
                         extradata: extradata.isEmpty ? nil : ByteBuffer(bytes: extradata),
                         sampleRate: spec.sampleRate, channels: spec.channels, bitrate: spec.bitrate)
    }

    /// Feeds decoded samples (pts in `sourceTimebase`); returns the units produced, each with
    /// the ingest wall clock `wallClock` gives for its time in seconds.
    func feed(_ frame: Frame, sourceTimebase: Rational, wallClock: (Double) -> Int64) throws -> [MediaUnit] {
        let input = (frame.sampleRate, frame.channels, frame.sampleFormat.rawValue)
        if resampler == nil || resamplerInput.map({ $0 != input }) ?? true {
            resampler = try Resampler(inputRate: frame.sampleRate, inputChannels: frame.channels, inputFormat: frame.sampleFormat,
                                      outputRate: spec.sampleRate, outputChannels: spec.channels, outputFormat: fifo.format)
            resamplerInput = input
        }
        if nextPTS == nil, frame.pts != noPTS {
            nextPTS = sourceTimebase.rescale(frame.pts, to: timebase)
        }
        try fifo.write(try resampler!.convert(frame))
        return try drain(wallClock: wallClock)
    }

    /// End of input: drains the resampler and the encoder.
    func flush(wallClock: (Double) -> Int64) throws -> [MediaUnit] {
        var units: [MediaUnit] = []
        if let resampler {
            try fifo.write(try resampler.convert(nil))
            units += try drain(wallClock: wallClock)
        }
        if let aac {
            units += try aac.encode(nil).map { unit($0, wallClock: wallClock) }
        }
        return units
    }

    private func drain(wallClock: (Double) -> Int64) throws -> [MediaUnit] {
        var units: [MediaUnit] = []
        while let chunk = try fifo.read(frameSize) {
            let pts = nextPTS ?? 0
            nextPTS = pts + Int64(frameSize)
            if let aac {
                chunk.pts = pts
                units += try aac.encode(chunk).map { unit($0, wallClock: wallClock) }
            } else if let opus, let data = chunk.data(0) {
                let samples = data.withMemoryRebound(to: Float.self, capacity: frameSize * spec.channels) {
                    Array(UnsafeBufferPointer(start: $0, count: frameSize * spec.channels))
                }
                let packet = try opus.encode(samples)
                units.append(MediaUnit(track: .audio, pts: pts, dts: pts, timebase: timebase, isKeyframe: true,
                                       data: ByteBuffer(bytes: packet), ingestWallClock: wallClock(Double(pts) * timebase.seconds)))
            }
        }
        return units
    }

    private func unit(_ packet: Packet, wallClock: (Double) -> Int64) -> MediaUnit {
        MediaUnit(track: .audio, pts: packet.pts, dts: packet.dts, timebase: timebase, isKeyframe: true,
                  data: packet.byteBuffer(), ingestWallClock: wallClock(Double(packet.pts) * timebase.seconds))
    }
}
