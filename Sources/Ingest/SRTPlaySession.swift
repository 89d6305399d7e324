import FFmpegBridge
import Foundation
import Logging
import MediaCore
import NIOCore
import SRTTransport
import StreamHub
import Synchronization

/// One SRT reader (`m=request`): the path's media, source or a rendition, as MPEG-TS over the
/// caller's socket. A thread of its own reads the hub queue, muxes with libavformat into memory
/// and sends ≤1316-byte messages; the listener's epoll thread only reports the close.
///
/// Low latency: nothing is buffered beyond the hub's bounded reader queue and libsrt's send
/// buffer. When the two together hold more than `skipBudget` of media, the queue skips to the
/// next keyframe and the output's timestamps continue without the gap.
final class SRTPlaySession: Sendable {
    let connection: SRTConnection
    let path: String
    private let queue: ReaderQueue
    private let stream: LiveStream
    private let stopping = Atomic<Bool>(false)

    static let payloadSize = 1316 // 7 TS packets
    static let queueCapacity = 512
    static let queueBytes = 16 << 20

    /// Nil when the stream ended before the reader subscribed.
    /// `home` is the stream the reader is listed under (the source's, when it reads a rendition).
    init?(connection: SRTConnection, path: String, stream: LiveStream, home: LiveStream, rendition: String,
          skipBudgetMs: Int64, logger: Logger) {
        guard let queue = stream.subscribe(capacity: Self.queueCapacity, byteCapacity: Self.queueBytes) else { return nil }
        self.connection = connection
        self.path = path
        self.queue = queue
        self.stream = stream
        connection.setSendTimeout(milliseconds: 2000)
        // The thread holds the session until the reader leaves or the stream ends.
        let thread = Thread { [self] in
            var sender = Sender(connection: connection, path: path, queue: queue, skipBudgetMs: skipBudgetMs, logger: logger,
                                home: home, status: PlayerStatus(transport: "srt", rendition: rendition))
            home.reportPlayer(sender.playerID, sender.status)
            sender.run(isStopping: { self.stopping.load(ordering: .acquiring) })
            home.reportPlayer(sender.playerID, nil)
            stream.unsubscribe(queue)
            connection.close()
        }
        thread.name = "srt-play-\(path)"
        thread.start()
    }

    /// The reader left (the listener saw the socket close): the thread ends.
    func closed() {
        stopping.store(true, ordering: .releasing)
        queue.close()
    }

    /// The sending thread's state: one owner, no locks.
    struct Sender {
        let connection: SRTConnection
        let path: String
        let queue: ReaderQueue
        let skipBudgetMs: Int64
        let logger: Logger
        let home: LiveStream
        let playerID = LiveStream.newPlayerID()
        var status: PlayerStatus
        var tracks: [TrackInfo] = []
        var indexOf: [TrackKind: Int] = [:]
        var muxer: Muxer?
        /// The output runs on across skips and republishes.
        var timeline = ContinuousTimeline(hasVideo: true)
        var skips = 0
        var lostSeen = 0
        /// Behind: units are not sent until a keyframe finds libsrt's buffer half drained.
        var skipping = false
        var lastLagCheck = ContinuousClock.now

        static let micro = Rational(1, 1_000_000)

        init(connection: SRTConnection, path: String, queue: ReaderQueue, skipBudgetMs: Int64, logger: Logger,
             home: LiveStream, status: PlayerStatus) {
            self.home = home
            self.status = status
            self.connection = connection
            self.path = path
            self.queue = queue
            self.skipBudgetMs = skipBudgetMs
            self.logger = logger
        }

        mutating func run(isStopping: () -> Bool) {
            logger.info("SRT play started", metadata: ["path": "\(path)", "peer": "\(connection.peer)"])
            var reason = "the stream ended"
            do {
                while !isStopping() {
                    guard let event = queue.next(timeout: .seconds(1)) else {
                        if queue.isClosed && queue.count == 0 { break }
                        continue
                    }
                    try handle(event)
                    checkLag()
                }
                if isStopping() { reason = "the reader left" }
            } catch {
                reason = "\(error)"
            }
            logger.info("SRT play ended: \(reason)", metadata: [
                "path": "\(path)", "peer": "\(connection.peer)", "keyframe-skips": "\(skips)", "lost-units": "\(queue.lost)",
            ])
        }

        mutating func handle(_ event: HubEvent) throws {
            switch event {
            case .tracks(let list):
                let usable = list.filter { $0.codec != .av1 } // FFmpeg 5.1's TS muxer has no AV1
                guard usable != tracks else { return }
                tracks = usable
                indexOf = Dictionary(usable.enumerated().map { ($0.element.kind, $0.offset) }, uniquingKeysWith: { a, _ in a })
                try endMuxer()
                var next = ContinuousTimeline(hasVideo: indexOf[.video] != nil)
                swap(&next, &timeline)
                timeline.continue(from: next)
            case .discontinuity:
                timeline.gap()
            case .metadata:
                break
            case .unit(let unit):
                try write(unit)
            }
        }

        mutating func write(_ unit: MediaUnit) throws {
            guard let index = indexOf[unit.track] else { return }
            if skipping {
                guard unit.track == .video, unit.isKeyframe,
                      Int64(connection.sendBufferMs() ?? 0) < skipBudgetMs / 2 else { return }
                skipping = false
                timeline.gap()
            }
            let lost = queue.lost
            if lost != lostSeen {
                // The queue overflowed or skipped: a gap the output's timeline closes.
                lostSeen = lost
                timeline.gap()
            }
            let hasVideo = indexOf[.video] != nil
            if muxer == nil {
                // Readers join on a keyframe: the TS starts with SPS/PPS and an IDR.
                guard !hasVideo || (unit.track == .video && unit.isKeyframe) else { return }
                let m = try Muxer(format: "mpegts", tracks: tracks.map { var t = $0; t.timebase = Self.micro; return t })
                muxer = m
                try send(m.takeOutput())
            }
            guard let muxer else { return }
            guard let (dts, pts) = timeline.place(track: index, isVideo: unit.track == .video,
                                                  dts: unit.timebase.rescale(unit.dts, to: Self.micro),
                                                  pts: unit.timebase.rescale(unit.pts, to: Self.micro)) else { return }
            try muxer.write(track: index, pts: pts, dts: dts, duration: 0, isKeyframe: unit.isKeyframe, data: unit.data)
            try muxer.flush() // one PES per unit, now: no muxer-side delay
            try send(muxer.takeOutput())
        }

        mutating func endMuxer() throws {
            guard let m = muxer else { return }
            muxer = nil
            try m.finish()
            try send(m.takeOutput())
        }

        /// Media waiting for this reader: the hub queue's span plus libsrt's unacknowledged buffer.
        mutating func checkLag() {
            let now = ContinuousClock.now
            guard now - lastLagCheck >= .milliseconds(100) else { return }
            lastLagCheck = now
            let backlog = queue.backlog
            let queued = backlog.oldestMillis.flatMap { o in backlog.newestMillis.map { max($0 - o, 0) } } ?? 0
            let inFlight = Int64(connection.sendBufferMs() ?? 0)
            status.queuedMillis = queued + inFlight
            home.reportPlayer(playerID, status)
            guard !skipping, queued + inFlight > skipBudgetMs else { return }
            // What is queued here goes; what libsrt holds drains while we wait for a keyframe.
            let units = queue.skipToKeyframe()
            skipping = indexOf[.video] != nil
            skips += 1
            status.keyframeSkips += 1
            logger.info("SRT reader behind; skipped to the next keyframe", metadata: [
                "path": "\(path)", "peer": "\(connection.peer)", "queued_ms": "\(queued)", "send_buffer_ms": "\(inFlight)",
                "units": "\(units)",
            ])
        }

        func send(_ bytes: ByteBuffer) throws {
            var bytes = bytes
            while bytes.readableBytes > 0 {
                let n = min(SRTPlaySession.payloadSize, bytes.readableBytes)
                try bytes.readWithUnsafeReadableBytes { raw in
                    try connection.send(UnsafeRawBufferPointer(rebasing: raw.prefix(n)))
                    return n
                }
            }
        }
    }
}
