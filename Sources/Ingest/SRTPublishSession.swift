import FFmpegBridge
import Foundation
import Logging
import MediaCore
import SRTTransport
import StreamHub

/// One SRT publisher: bytes from the epoll thread go through a bounded queue to this
/// session's demux thread (libavformat's MPEG-TS demuxer over a custom AVIO), which writes
/// hub units. The epoll thread never touches FFmpeg.
///
/// The caller becomes the path's publisher (taking over a live one) only once the demuxer
/// found media in what it sent: a caller that only wants to read (ffprobe on the same URL)
/// sends nothing, is closed after `firstMediaTimeout`, and never ends the show.
final class SRTPublishSession: Sendable {
    let connection: SRTConnection
    let path: StreamPath
    private let queue: ByteQueue
    private let logger: Logger
    private let dropLog = LogThrottle()

    /// ~8 s of a 8 Mbit/s stream: enough for any scheduling hiccup, bounded for a stalled demuxer.
    static let queueCapacity = 8 << 20

    init(connection: SRTConnection, path: StreamPath, hub: StreamHub, logger: Logger,
         firstMediaTimeout: Duration, idleTimeout: Duration, credential: String? = nil,
         maxPublishers: @escaping @Sendable () -> Int = { .max }) {
        self.connection = connection
        self.path = path
        self.queue = ByteQueue(capacity: Self.queueCapacity, firstByteTimeout: firstMediaTimeout, idleTimeout: idleTimeout)
        self.logger = logger
        let thread = Thread { [queue, logger, connection] in
            SRTPublishSession.demux(queue: queue, path: path, hub: hub, logger: logger, connection: connection,
                                    firstMediaTimeout: firstMediaTimeout, idleTimeout: idleTimeout,
                                    credential: credential, maxPublishers: maxPublishers)
        }
        thread.name = "srt-demux-\(path)"
        thread.start()
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        if !queue.write(bytes), let suppressed = dropLog.admit() {
            logger.warning("SRT demuxer behind; dropped \(bytes.count) bytes", metadata: ["path": "\(path)", "drops-since-last-line": "\(suppressed)"])
        }
    }

    /// The connection closed: the demuxer drains what was accepted, then ends the stream.
    func closed() {
        queue.close()
    }

    private static func demux(queue: ByteQueue, path: StreamPath, hub: StreamHub, logger: Logger, connection: SRTConnection,
                              firstMediaTimeout: Duration, idleTimeout: Duration, credential: String?,
                              maxPublishers: @Sendable () -> Int) {
        var claimed: Publisher?
        defer {
            if let claimed {
                claimed.end()
                if queue.didTimeOut {
                    logger.warning("SRT publisher sent nothing for \(idleTimeout); closed", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
                }
                logger.info("SRT publish ended", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            }
            connection.close()
        }
        let demuxer: Demuxer
        do {
            // Small probe: the first packets should reach viewers, not sit in the analyser.
            demuxer = try Demuxer(format: "mpegts", options: ["probesize": "500000", "analyzeduration": "500000"]) { buffer in
                queue.read(into: buffer)
            }
        } catch {
            if !queue.hasReceived {
                logger.notice("SRT caller sent no media within \(firstMediaTimeout); closed (SRT playback is not supported)",
                              metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            } else {
                logger.error("SRT input is not MPEG-TS we can read: \(error)", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            }
            return
        }
        // Audio HLS players cannot play (MP2, MP3, AC-3) is re-encoded as AAC on this thread.
        var transcoders: [Int: AACTranscoder] = [:]
        for st in demuxer.streams where st.kind == .audio && TSUnitBuilder.kind(codecName: st.codecName) == .unsupported {
            guard let t = try? AACTranscoder(codecName: st.codecName, sampleRate: st.sampleRate, channels: st.channels,
                                             timebase: st.timebase) else { continue } // no decoder: dropped with a warning below
            transcoders[st.index] = t
            logger.info("SRT audio codec \(st.codecName) is transcoded to AAC (HLS players cannot play it)", metadata: ["path": "\(path)"])
        }
        let carried = demuxer.streams.map { (index: $0.index, codecName: transcoders[$0.index] == nil ? $0.codecName : "aac",
                                             kind: $0.kind, hint: transcoders[$0.index] == nil ? $0.track : nil) }
        // A refused codec never takes the path: checked before publishing.
        if let why = TSUnitBuilder.refusal(streams: carried.map { ($0.codecName, $0.kind) }) {
            logger.error("SRT publish refused: \(why)", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            return
        }
        // Media arrived: only now does this caller take the path (over a live publisher, if any).
        let publisher: Publisher
        do {
            publisher = try hub.publish(path, credential: credential, maxPublishers: maxPublishers(),
                                        onEvicted: { [connection] in connection.close() })
        } catch {
            logger.warning("SRT publish refused: \(error)", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            return
        }
        claimed = publisher
        logger.info("SRT publish started", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
        var builder = TSUnitBuilder(streams: carried.map { ($0.index, $0.codecName, $0.hint) })
        for index in builder.unsupportedCodecs where demuxer.streams[index].kind != nil {
            let kind = demuxer.streams[index].kind == .video ? "video" : "audio"
            logger.warning("SRT \(kind) codec \(demuxer.streams[index].codecName) is not supported (Sluice carries H.264 or HEVC video with AAC audio); stream \(index) dropped",
                           metadata: ["path": "\(publisher.path)"])
        }
        var transcodeFailed = false
        var failures = 0
        while true {
            let packet: Packet?
            do {
                packet = try demuxer.read()
                failures = 0
            } catch {
                // Corrupt input: log, and keep reading unless it is all corrupt.
                failures += 1
                logger.warning("SRT demux error: \(error)", metadata: ["path": "\(publisher.path)"])
                if failures > 100 { return }
                continue
            }
            guard let packet else { return }
            let index = Int(packet.streamIndex)
            guard index < demuxer.streams.count else { continue }
            let tb = demuxer.streams[index].timebase
            var dts = packet.dts == noPTS ? packet.pts : packet.dts
            var pts = packet.pts == noPTS ? dts : packet.pts
            if pts == noPTS { continue }
            var bytes = Array(packet.bytes)
            if let t = transcoders[index] {
                let frames: [(pts: Int64, data: [UInt8])]
                do {
                    frames = try t.transcode(packet.bytes, pts: pts)
                } catch {
                    // A corrupt packet costs its samples; the first such failure is logged.
                    if !transcodeFailed { logger.warning("SRT audio transcode: \(error)", metadata: ["path": "\(publisher.path)"]) }
                    transcodeFailed = true
                    continue
                }
                guard let first = frames.first else { continue }
                bytes = TSUnitBuilder.adts(frames.map(\.data), sampleRate: t.sampleRate, channels: t.channels)
                (pts, dts) = (first.pts, first.pts)
            }
            let units: [MediaUnit]
            do {
                units = try builder.units(stream: index, bytes: bytes, pts: pts, dts: dts, timebase: tb,
                                          wallClock: WallClock.nowMicros())
            } catch {
                logger.error("SRT publish refused: \(error)", metadata: ["path": "\(publisher.path)"])
                connection.close()
                return
            }
            if builder.tracksChanged {
                builder.tracksChanged = false
                publisher.setTracks(builder.tracks)
                logger.info("SRT tracks: \(builder.tracks.map { "\($0.codec.rawValue)" }.joined(separator: "+"))",
                            metadata: ["path": "\(publisher.path)"])
            }
            for unit in units {
                if !publisher.write(unit) {
                    return // taken over by a newer publisher
                }
            }
        }
    }
}
