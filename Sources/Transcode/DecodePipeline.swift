import Bitstream
import CFFmpeg
import FFmpegBridge
import Foundation
import Logging
import MediaCore
import StreamHub

/// The decode thread of a session: decodes the source video once, scales the cascade (each
/// rung from the nearest larger picture), decides keyframes, and hands pictures to the rung
/// threads; forwards audio to the audio thread and the source to the passthrough rendition.
///
/// Not Sendable: created on, and confined to, the decode thread.
final class DecodePipeline {
    private let config: TranscodeConfiguration
    private let sink: any RenditionSink
    private let stats: StatsRecorder
    private let logger: Logger
    private let control: SessionControl
    private let threads: DispatchGroup

    private var videoTrack: TrackInfo?
    private var decoder: Decoder?
    /// Source pts (track timebase) → ingest wall clock and user-data SEI of that unit.
    private var sourceMeta: [Int64: (wallClock: Int64, sei: [SEIMessage])] = [:]

    private var channels: [RungChannel] = []
    private var ladderResolved = false
    private var scalers: [[ScalerInput: Scaler]] = []
    private var lastKept: [Int64?] = []
    private var minInterval: [Int64] = []

    private var lastOutPTS: Int64?
    private var ptsOffset: Int64 = 0
    private var rebase = false
    private var lastGOP: Int64?
    private var skippingLate = false

    private var audioQueue: CodecQueue<AudioInput>?
    private var passthroughStarted: TrackInfo?

    private static let x264UUID: [UInt8] = [0xDC, 0x45, 0xE9, 0xBD, 0xE6, 0xD9, 0x48, 0xB7,
                                            0x96, 0x2C, 0xD8, 0x20, 0xD9, 0x23, 0xEE, 0xEF]

    init(config: TranscodeConfiguration, sink: any RenditionSink, stats: StatsRecorder, logger: Logger,
         control: SessionControl, threads: DispatchGroup) {
        self.config = config
        self.sink = sink
        self.stats = stats
        self.logger = logger
        self.control = control
        self.threads = threads
    }

    private var outTB: Rational { config.outputTimebase }

    func handle(_ event: HubEvent) {
        switch event {
        case .tracks(let tracks):
            if let video = tracks.first(where: { $0.kind == .video }) { setVideoTrack(video) }
            if let audio = tracks.first(where: { $0.kind == .audio }), !config.audio.isEmpty {
                startAudioIfNeeded()
                forwardAudio(.track(audio))
            }
        case .unit(let unit):
            if unit.track == .audio {
                stats.update { $0.audioUnitsIn += 1 }
                if audioQueue != nil { forwardAudio(.unit(unit)) }
            } else {
                stats.update { $0.videoUnitsIn += 1 }
                decodeVideo(unit)
            }
        case .discontinuity:
            // A new publisher: timestamps restart. Keep output time monotonic from here.
            drainDecoder()
            rebase = true
            sourceMeta.removeAll()
        case .metadata:
            break
        }
    }

    /// End of input: drain the decoder and let every thread finish.
    func finish() {
        drainDecoder()
        for c in channels { c.queue.close() }
        audioQueue?.close()
        if passthroughStarted != nil { sink.end(rendition: "source") }
    }

    // MARK: video

    private func setVideoTrack(_ track: TrackInfo) {
        guard track != videoTrack else { return }
        drainDecoder()
        videoTrack = track
        sourceMeta.removeAll()
        do {
            decoder = try Decoder(track: track, threads: config.decoderThreads)
        } catch {
            decoder = nil
            logger.error("cannot decode \(track.codec): \(error)")
        }
        if config.passthroughSource {
            passthroughStarted = track
            sink.start(Rendition(name: "source", track: track))
        }
    }

    private func decodeVideo(_ unit: MediaUnit) {
        if config.passthroughSource, passthroughStarted != nil { sink.unit(unit, rendition: "source") }
        guard let decoder, let track = videoTrack else { return }
        if isTooLate(unit) {
            stats.update { $0.videoUnitsSkippedLate += 1 }
            return
        }
        let pts = unit.timebase.rescale(unit.pts, to: track.timebase)
        let sei = SEIMessage.userDataUnregistered(inLengthPrefixed: unit.data.readableBytesView, hevc: track.codec == .hevc)
            .filter { $0.uuid != Self.x264UUID }
        sourceMeta[pts] = (unit.ingestWallClock, sei)
        if sourceMeta.count > 256 {
            // Units the decoder never returned (broken references): forget after 10 s.
            let horizon = pts - Rational(1, 1).rescale(10, to: track.timebase)
            sourceMeta = sourceMeta.filter { $0.key >= horizon }
        }
        do {
            let packet = try Packet(copying: unit.data)
            packet.pts = pts
            packet.dts = unit.timebase.rescale(unit.dts, to: track.timebase)
            packet.isKeyframe = unit.isKeyframe
            try decodeAndProcess(packet, decoder: decoder, track: track)
        } catch {
            logger.warning("decode failed at pts \(unit.pts): \(error)")
        }
    }

    /// Live only: when the decode thread is more than `maxInputLag` behind ingest (the CPU was
    /// taken away, the input queue filled), skip to the first keyframe that is fresh again —
    /// skipping costs nothing, so the backlog clears at once instead of adding latency.
    private func isTooLate(_ unit: MediaUnit) -> Bool {
        guard config.overload == .dropFrames, let maxLag = config.maxInputLag else { return false }
        let lag = Double(WallClock.nowMicros() - unit.ingestWallClock) / 1e6
        guard lag < 3600 else { return false } // not a real ingest clock (synthetic media)
        if skippingLate {
            if unit.isKeyframe && lag <= maxLag / 2 { skippingLate = false } else { return true }
        } else if lag > maxLag {
            skippingLate = true
            return true
        }
        return false
    }

    private func drainDecoder() {
        guard let decoder, let track = videoTrack else { return }
        do {
            try decodeAndProcess(nil, decoder: decoder, track: track)
        } catch {
            logger.warning("decoder drain failed: \(error)")
        }
        decoder.flushBuffers() // usable again after a discontinuity with the same parameters
    }

    /// Decodes one packet (nil drains), times it, and sends every frame down the cascade.
    private func decodeAndProcess(_ packet: Packet?, decoder: Decoder, track: TrackInfo) throws {
        var seconds = 0.0
        let frames = try Stopwatch.time(&seconds) { try decoder.decode(packet) }
        stats.update {
            $0.decodeSeconds += seconds
            $0.framesDecoded += frames.count
        }
        for frame in frames { process(frame, track: track) }
    }

    private func process(_ frame: Frame, track: TrackInfo) {
        guard frame.pts != noPTS else {
            stats.update { $0.framesDiscarded += 1 }
            return
        }
        let meta = sourceMeta.removeValue(forKey: frame.pts)
        if let meta, let decoded = config.onFrameDecoded { decoded(meta.wallClock) }
        var out = track.timebase.rescale(frame.pts, to: outTB) + ptsOffset
        if rebase, let last = lastOutPTS {
            ptsOffset += last + frameDuration(track) - out
            out = last + frameDuration(track)
        }
        rebase = false
        if let last = lastOutPTS, out <= last {
            stats.update { $0.framesDiscarded += 1 }
            return
        }
        lastOutPTS = out
        if !ladderResolved { startRungs(width: frame.width, height: frame.height, track: track) }
        guard !channels.isEmpty else { return }

        let gop = Int64((Double(out) * outTB.seconds / config.gopSeconds).rounded(.down))
        let key = lastGOP == nil || gop != lastGOP || control.takeKeyframeRequest()
        lastGOP = gop

        var pictures: [Frame] = [frame] // of this frame, largest first
        var ready: [(Int, RungFrame)] = []
        for (i, channel) in channels.enumerated() {
            if !key, let kept = lastKept[i], out - kept < minInterval[i] { continue }
            if config.overload == .dropFrames, !key, channel.queue.count >= config.rungQueueCapacity {
                stats.updateRung(channel.rung.name) { $0.framesDropped += 1 }
                continue // skip the scale too; smaller rungs scale from a larger picture
            }
            var seconds = 0.0
            let picture: Frame
            do {
                let parent = cascadeParent(pictures, for: channel.rung)
                picture = try Stopwatch.time(&seconds) { try scale(parent, rung: i) }
            } catch {
                logger.warning("scale \(channel.rung.name) failed: \(error)")
                continue
            }
            picture.pts = out
            picture.forceKeyframe = key
            pictures.append(picture)
            lastKept[i] = out
            stats.updateRung(channel.rung.name) { $0.scaleSeconds += seconds }
            ready.append((i, RungFrame(frame: picture, isKeyframe: key, ingestWallClock: meta?.wallClock ?? WallClock.nowMicros(),
                                       sei: meta?.sei ?? [])))
        }
        for (i, item) in ready {
            let channel = channels[i]
            let lost = channel.queue.offer(item) // .block waits for room; .dropFrames never waits
            let depth = channel.queue.withPolicy { $0.highWater }
            stats.updateRung(channel.rung.name) {
                $0.framesQueued += 1
                $0.framesDropped += lost
                $0.maxQueueDepth = depth
            }
        }
    }

    private func frameDuration(_ track: TrackInfo) -> Int64 {
        return max(1, Int64((1 / sourceFPS(track) / outTB.seconds).rounded()))
    }

    /// `TrackInfo.frameRate` is frames per second as a fraction (30/1); 30 when unknown.
    private func sourceFPS(_ track: TrackInfo) -> Double {
        guard let r = track.frameRate, r.num > 0, r.den > 0 else { return 30 }
        return r.seconds
    }

    /// The smallest picture at least `cascadeMinRatio` × the rung's height, else the largest.
    private func cascadeParent(_ pictures: [Frame], for rung: ResolvedRung) -> Frame {
        let minHeight = Double(rung.height) * config.cascadeMinRatio
        return pictures.last { Double($0.height) >= minHeight - 0.5 } ?? pictures[0]
    }

    /// The picture for rung `i` from `parent` (the nearest larger picture of this frame).
    private func scale(_ parent: Frame, rung i: Int) throws -> Frame {
        let rung = channels[i].rung
        if parent.width == rung.width, parent.height == rung.height, parent.pixelFormat == AV_PIX_FMT_YUV420P {
            return try parent.reference()
        }
        let input = ScalerInput(width: parent.width, height: parent.height, format: parent.pixelFormat.rawValue)
        if let s = scalers[i][input] { return try s.scale(parent) }
        // A few inputs per rung at most: the usual parent, the source when the parent skipped
        // a frame, and new geometries after a resolution change.
        if scalers[i].count >= 4 { scalers[i].removeAll() }
        let s = try Scaler(inputWidth: parent.width, inputHeight: parent.height, inputFormat: parent.pixelFormat,
                           outputWidth: rung.width, outputHeight: rung.height, quality: config.scaleQuality)
        scalers[i][input] = s
        return try s.scale(parent)
    }

    /// The ladder is sized from the first decoded picture; later resolution changes keep the
    /// renditions' sizes (players expect them) and only rebuild the scalers.
    private func startRungs(width: Int, height: Int, track: TrackInfo) {
        ladderResolved = true
        let rungs = config.ladder.resolve(sourceWidth: width, sourceHeight: height)
        if rungs.isEmpty { logger.warning("no rung fits a \(width)x\(height) source") }
        let sourceFPS = sourceFPS(track)
        let threadsPerRung = config.encoderThreadCount(rungCount: rungs.count)
        for (index, rung) in rungs.enumerated() {
            let fps = min(sourceFPS, rung.spec.maxFrameRate ?? sourceFPS)
            let frameRate = fps == sourceFPS ? (track.frameRate ?? Rational(30, 1)) : Rational(Int32(clamping: Int((min(fps, 1000) * 1000).rounded())), 1000)
            let bitrate = control.bitrate(for: rung.name) ?? rung.spec.bitrate
            let encoder = X264RungSettings.make(config: config, width: rung.width, height: rung.height, timebase: outTB,
                                                frameRate: frameRate, fps: fps, bitrate: bitrate, threads: threadsPerRung)
            let settings = VideoRungWorker.Settings(encoder: encoder, maxRateFactor: config.maxRateFactor,
                                                    vbvBufferSeconds: config.vbvBufferSeconds)
            let channel = RungChannel(rung: rung, capacity: config.rungQueueCapacity, blocking: config.overload == .block)
            var rs = RungStats(name: rung.name)
            rs.width = rung.width
            rs.height = rung.height
            rs.bitrate = bitrate
            stats.addRung(rs)
            channels.append(channel)
            scalers.append([:])
            lastKept.append(nil)
            let interval = 1 / (rung.spec.maxFrameRate ?? 1e9) / outTB.seconds
            minInterval.append(Int64(interval * 0.75))
            control.register(channel)
            let (sink, stats, logger) = (self.sink, self.stats, self.logger)
            threads.enter()
            let group = threads
            let thread = Thread {
                ThreadName.setCurrent("rung-\(rung.name)")
                ThreadPriority.lowerCurrent(by: ThreadPriority.rungOffset(index: index))
                VideoRungWorker(channel: channel, settings: settings, sink: sink, stats: stats, logger: logger).run()
                group.leave()
            }
            thread.name = "sluice.rung.\(rung.name)"
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    // MARK: audio

    private func startAudioIfNeeded() {
        guard audioQueue == nil else { return }
        let queue = CodecQueue<AudioInput>(policy: CodecQueuePolicy(capacity: 256, blocking: config.overload == .block))
        audioQueue = queue
        let (specs, sink, stats, logger) = (config.audio, self.sink, self.stats, self.logger)
        threads.enter()
        let group = threads
        let thread = Thread {
            ThreadName.setCurrent("tc-audio")
            AudioWorker(queue: queue, specs: specs, sink: sink, stats: stats, logger: logger).run()
            group.leave()
        }
        thread.name = "sluice.audio"
        thread.stackSize = 4 << 20
        thread.start()
    }

    private func forwardAudio(_ input: AudioInput) {
        guard let audioQueue else { return }
        if audioQueue.offer(input) > 0 { stats.update { $0.inputDropped += 1 } }
    }
}
