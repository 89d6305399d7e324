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
        // A caller that trickles bytes must still give the demuxer MPEG-TS within the timeout.
        queue.setDeadline(.now + firstMediaTimeout)
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
            if queue.missedDeadline {
                logger.warning("SRT caller sent \(queue.receivedBytes) bytes but no MPEG-TS the demuxer could read within \(firstMediaTimeout); closed",
                               metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            } else if !queue.hasReceived {
                logger.notice("SRT caller sent no media within \(firstMediaTimeout); closed (SRT playback is not supported)",
                              metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            } else {
                logger.error("SRT input is not MPEG-TS we can read: \(error)", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            }
            return
        }
        queue.setDeadline(nil) // the demuxer found streams: from now on, only silence ends reads
        DemuxPublish.run(demuxer, path: path, hub: hub, logger: logger, label: "SRT", peer: connection.peer,
                         credential: credential, maxPublishers: maxPublishers(),
                         onEvicted: { [connection] in connection.close() }, onClaimed: { publisher in
            // SRT has no status message: a kicked or shut-down publisher sees its connection close.
            // Our own close brings no epoll event, so the queue is closed too: the demuxer drains
            // what was accepted and ends the stream now, not after the idle timeout.
            publisher.describe(PublisherInfo(transport: "srt", remote: connection.peer)) { [connection, logger, path, queue] reason in
                logger.notice("SRT publisher stopped by the server", metadata: ["path": "\(path)", "reason": "\(reason)"])
                connection.close()
                queue.close()
            }
        }, claimed: &claimed)
    }
}
