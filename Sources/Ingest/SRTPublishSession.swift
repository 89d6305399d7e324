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
         firstMediaTimeout: Duration, idleTimeout: Duration) {
        self.connection = connection
        self.path = path
        self.queue = ByteQueue(capacity: Self.queueCapacity, firstByteTimeout: firstMediaTimeout, idleTimeout: idleTimeout)
        self.logger = logger
        let thread = Thread { [queue, logger, connection] in
            SRTPublishSession.demux(queue: queue, path: path, hub: hub, logger: logger, connection: connection,
                                    firstMediaTimeout: firstMediaTimeout, idleTimeout: idleTimeout)
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
                              firstMediaTimeout: Duration, idleTimeout: Duration) {
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
        // Media arrived: only now does this caller take the path (over a live publisher, if any).
        let publisher: Publisher
        do {
            publisher = try hub.publish(path, onEvicted: { [connection] in connection.close() })
        } catch {
            logger.warning("SRT publish refused: \(error)", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            return
        }
        claimed = publisher
        logger.info("SRT publish started", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
        var builder = TSUnitBuilder(streams: demuxer.streams.map { ($0.index, $0.codecName, $0.track) })
        for index in builder.unsupportedCodecs {
            logger.warning("SRT stream \(index) has codec \(demuxer.streams[index].codecName), which Sluice does not carry; ignored",
                           metadata: ["path": "\(publisher.path)"])
        }
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
            guard index < demuxer.streams.count, let tb = demuxer.streams[index].track?.timebase else { continue }
            let dts = packet.dts == noPTS ? packet.pts : packet.dts
            let pts = packet.pts == noPTS ? dts : packet.pts
            if pts == noPTS { continue }
            let units = builder.units(stream: index, bytes: Array(packet.bytes), pts: pts, dts: dts, timebase: tb,
                                      wallClock: WallClock.nowMicros())
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
