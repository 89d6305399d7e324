import Bitstream
import FFmpegBridge
import Logging
import MediaCore
import NIOCore

/// The encoder thread of one rung: libx264 over the rung's queue, SEI stamps re-inserted,
/// Annex B turned into the hub's length-prefixed units.
///
/// Not Sendable: created on, and confined to, the rung's thread.
final class VideoRungWorker {
    struct Settings: Sendable {
        var encoder: VideoEncoderSettings
        var maxRateFactor: Double
        var vbvBufferSeconds: Double
    }

    private let channel: RungChannel
    private let settings: Settings
    private let sink: any RenditionSink
    private let stats: StatsRecorder
    private let logger: Logger
    /// Output pts → what the source frame carried, until its packet comes out.
    private var pending: [Int64: (wallClock: Int64, sei: [SEIMessage])] = [:]

    init(channel: RungChannel, settings: Settings, sink: any RenditionSink, stats: StatsRecorder, logger: Logger) {
        self.channel = channel
        self.settings = settings
        self.sink = sink
        self.stats = stats
        self.logger = logger
    }

    private var name: String { channel.rung.name }

    func run() {
        let encoder: Encoder
        do {
            encoder = try Encoder(video: settings.encoder)
        } catch {
            logger.error("rung \(name): cannot open encoder: \(error)")
            while channel.queue.pop() != nil { stats.updateRung(name) { $0.framesDropped += 1 } }
            return
        }
        let e = settings.encoder
        let avcC = AVCDecoderConfigurationRecord(annexB: encoder.extradata)
        let track = TrackInfo(codec: .h264, timebase: e.timebase, extradata: avcC.map { ByteBuffer(bytes: $0.bytes) },
                              width: e.width, height: e.height, frameRate: e.frameRate, bitrate: e.bitrate)
        sink.start(Rendition(name: name, track: track))

        while let item = channel.queue.pop() {
            if let bps = channel.takeRequestedBitrate() {
                encoder.setBitrate(bps, maxBitrate: Int(Double(bps) * settings.maxRateFactor),
                                   bufferSize: Int(Double(bps) * settings.vbvBufferSeconds))
                stats.updateRung(name) { $0.bitrate = bps }
            }
            pending[item.frame.pts] = (item.ingestWallClock, item.sei)
            var seconds = 0.0
            do {
                let packets = try Stopwatch.time(&seconds) { try encoder.encode(item.frame) }
                emit(packets)
            } catch {
                logger.warning("rung \(name): encode failed: \(error)")
            }
            stats.updateRung(name) {
                $0.framesEncoded += 1
                $0.encodeSeconds += seconds
            }
        }
        do {
            emit(try encoder.encode(nil))
        } catch {
            logger.warning("rung \(name): flush failed: \(error)")
        }
        sink.end(rendition: name)
    }

    private func emit(_ packets: [Packet]) {
        for packet in packets {
            let meta = pending.removeValue(forKey: packet.pts)
            if pending.count > 64 { pending = pending.filter { $0.key > packet.pts } }
            var nals = NALUnits.splitAnnexB(packet.bytes)
            if let sei = meta?.sei, !sei.isEmpty {
                // SEI goes before the first slice of the access unit.
                let at = nals.firstIndex { (1...5).contains(NALUnits.h264Type($0) ?? 0) } ?? nals.endIndex
                nals.insert(ArraySlice(SEIMessage.nal(sei)), at: at)
            }
            let payload = NALUnits.joinLengthPrefixed(nals)
            let unit = MediaUnit(track: .video, pts: packet.pts, dts: packet.dts, timebase: settings.encoder.timebase,
                                 isKeyframe: packet.isKeyframe, data: ByteBuffer(bytes: payload),
                                 ingestWallClock: meta?.wallClock ?? WallClock.nowMicros())
            stats.updateRung(name) {
                $0.bytesOut += payload.count
                if packet.isKeyframe { $0.keyframes += 1 }
            }
            sink.unit(unit, rendition: name)
        }
    }
}
