import FFmpegBridge
import Logging
import MediaCore

/// The audio thread: decodes the source audio once and feeds every audio rendition.
///
/// Not Sendable: created on, and confined to, the audio thread.
final class AudioWorker {
    private let queue: CodecQueue<AudioInput>
    private let specs: [AudioRenditionSpec]
    private let sink: any RenditionSink
    private let stats: StatsRecorder
    private let logger: Logger
    private var decoder: Decoder?
    private var track: TrackInfo?
    private var encodings: [AudioEncoding] = []
    private var lastWallClock: Int64 = 0
    private var wallClocks = WallClockMap()

    init(queue: CodecQueue<AudioInput>, specs: [AudioRenditionSpec], sink: any RenditionSink,
         stats: StatsRecorder, logger: Logger) {
        self.queue = queue
        self.specs = specs
        self.sink = sink
        self.stats = stats
        self.logger = logger
    }

    func run() {
        for spec in specs {
            do {
                let encoding = try AudioEncoding(spec: spec)
                sink.start(Rendition(name: spec.name, track: try encoding.track()))
                encodings.append(encoding)
                stats.updateAudio(spec.name) { _ in }
            } catch {
                logger.error("audio \(spec.name): cannot open encoder: \(error)")
            }
        }
        while let input = queue.pop() {
            switch input {
            case .track(let t):
                guard t != track else { continue }
                drainDecoder()
                track = t
                do {
                    decoder = try Decoder(track: t)
                } catch {
                    decoder = nil
                    logger.error("audio: cannot decode \(t.codec): \(error)")
                }
            case .unit(let unit):
                guard let decoder, let track else { continue }
                lastWallClock = unit.ingestWallClock
                wallClocks.record(seconds: unit.ptsSeconds, wallClock: unit.ingestWallClock)
                do {
                    let packet = try Packet(copying: unit.data)
                    packet.pts = unit.timebase.rescale(unit.pts, to: track.timebase)
                    packet.dts = unit.timebase.rescale(unit.dts, to: track.timebase)
                    var seconds = 0.0
                    let frames = try Stopwatch.time(&seconds) { try decoder.decode(packet) }
                    stats.update { $0.audioDecodeSeconds += seconds }
                    encode(frames, timebase: track.timebase)
                } catch {
                    logger.warning("audio: decode failed: \(error)")
                }
            }
        }
        drainDecoder()
        for encoding in encodings {
            do {
                deliver(try encoding.flush(wallClock: wallClock), rendition: encoding.spec.name, seconds: 0)
            } catch {
                logger.warning("audio \(encoding.spec.name): flush failed: \(error)")
            }
            sink.end(rendition: encoding.spec.name)
        }
    }

    /// Output time (same clock as source time) → the ingest wall clock of that source audio.
    private func wallClock(atSeconds seconds: Double) -> Int64 {
        wallClocks.wallClock(atSeconds: seconds) ?? lastWallClock
    }

    private func drainDecoder() {
        guard let decoder, let track else { return }
        do {
            encode(try decoder.decode(nil), timebase: track.timebase)
        } catch {
            logger.warning("audio: drain failed: \(error)")
        }
        self.decoder = nil
    }

    private func encode(_ frames: [Frame], timebase: Rational) {
        for frame in frames {
            for encoding in encodings {
                var seconds = 0.0
                do {
                    let units = try Stopwatch.time(&seconds) {
                        try encoding.feed(frame, sourceTimebase: timebase, wallClock: wallClock)
                    }
                    deliver(units, rendition: encoding.spec.name, seconds: seconds)
                } catch {
                    logger.warning("audio \(encoding.spec.name): encode failed: \(error)")
                }
            }
        }
    }

    private func deliver(_ units: [MediaUnit], rendition: String, seconds: Double) {
        stats.updateAudio(rendition) { s in
            s.encodeSeconds += seconds
            s.packetsOut += units.count
            s.bytesOut += units.reduce(0) { $0 + $1.data.readableBytes }
        }
        for unit in units { sink.unit(unit, rendition: rendition) }
    }
}
