#if canImport(Glibc)
import Glibc
#endif
import Access
import Logging
import MediaCore
import NIOCore
import RTMP
import StreamHub

/// One RTMP connection: a thin adapter that feeds socket bytes to the handshake, the chunk
/// decoder and the session state machine, and carries their actions out to the hub and socket.
final class RTMPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Publishing {
        var publisher: Publisher
        /// Tells this publish apart from a later one on the same stream ID when eviction news arrives.
        var generation: Int
        var ingest = FLVIngest()
        var loggedRepairs = 0
        var countedRepairs = 0
        var lastRepairLog: NIODeadline?
        var lastMetadata: NIODeadline?
        var droppedMetadata = 0
    }

    private struct Playing {
        /// The stream being sent: the one asked for, or one of its renditions.
        var stream: LiveStream
        var queue: ReaderQueue
        var playout: FLVPlayout
        /// The path the player asked for; its stream holds the player's status.
        var path: String
        var home: LiveStream
        var playerID = LiveStream.newPlayerID()
        var status = PlayerStatus(transport: "rtmp", rendition: "source")
        var control: SendDelayControl?
    }

    /// One player's send-delay control: the controller, the ladder it moves along, what was
    /// written and not yet taken by the kernel, and a switch waiting for its keyframe.
    private struct SendDelayControl {
        struct Rung { var name: String; var path: String; var bitrate: Int }
        struct Switch {
            var stream: LiveStream
            var queue: ReaderQueue
            var rung: Rung
            var index: Int
            var from: String
            var up: Bool
            var queuedMillis: Int64
            /// The target's parameters and metadata, read before its keyframe came.
            var tracks: [TrackInfo]?
            var metadata: [String: String]?
        }
        var controller: SendDelayController
        var ladder: [Rung]
        /// Connection byte offset at which each written unit ends, and its dts (ms).
        var written = CircularBuffer<(end: Int, dtsMillis: Int64)>()
        var pending: Switch?
        var ticks = 0
        /// Per rendition name: its stream's bytes in at the last measurement, and its rate.
        var rateMarks: [String: (stream: LiveStream, bytes: Int, at: NIODeadline)] = [:]
        var rates: [String: Int] = [:]
    }

    private let hub: StreamHub
    private let access: any AccessControl
    private let admission: IngestAdmission
    /// Publishes and plays waiting for the access decision, by stream ID: the generation that
    /// asked (a newer command on the same stream ID makes an older answer stale).
    private var awaitingDecision: [UInt32: Int] = [:]
    private var decisionGeneration = 0
    private var remote = "?"
    private var logger: Logger
    private let configuration: RTMPServerConfiguration
    private let statistics: RTMPServerStatistics

    private var handshake = RTMPServerHandshake()
    private var handshakeBytes: ByteBuffer?
    private var decoder: RTMPChunkDecoder
    /// Socket bytes not yet decoded: at most one chunk, which the decoder bounds.
    private var inbound: ByteBuffer?
    private var session = RTMPServerSession()
    private var encoder = RTMPChunkEncoder()
    private var publishing: [UInt32: Publishing] = [:]
    private var playing: [UInt32: Playing] = [:]
    /// Players whose pump waits for the socket to become writable again.
    private var waitingForWritable: Set<UInt32> = []
    private var context: ChannelHandlerContext?
    private var closing = false
    private var publishGeneration = 0
    private var handshakeDeadline: Scheduled<Void>?
    private var timeoutCheck: RepeatedTask?
    private var lastRead = NIODeadline.now()
    /// Since when the connection neither publishes nor plays.
    private var inactiveSince: NIODeadline? = NIODeadline.now()
    private var unwritableSince: NIODeadline?
    /// A read held back while the peer does not read our replies (NIO's back-pressure idiom).
    private var pendingRead = false
    /// Bytes handed to the channel so far; minus its buffered bytes, what the kernel took.
    private var bytesWritten = 0
    private var sendDelayTick: RepeatedTask?

    init(hub: StreamHub, access: any AccessControl, logger: Logger, configuration: RTMPServerConfiguration,
         statistics: RTMPServerStatistics = RTMPServerStatistics(), admission: IngestAdmission = IngestAdmission()) {
        self.hub = hub
        self.admission = admission
        self.statistics = statistics
        self.access = access
        self.logger = logger
        self.configuration = configuration
        // Pre-authorisation caps until a publish is accepted.
        self.decoder = RTMPChunkDecoder(maxMessageSize: min(configuration.preAuthMaxMessageSize, configuration.maxMessageSize),
                                        maxBufferedBytes: configuration.preAuthMaxBufferedBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        logger[metadataKey: "peer"] = "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"
        // `ip:port` for the webhook, as SRT's peer reads.
        if let address = context.channel.remoteAddress, let ip = address.ipAddress {
            remote = address.protocol == .inet6 ? "[\(ip)]:\(address.port ?? 0)" : "\(ip):\(address.port ?? 0)"
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        logger.debug("RTMP connection opened")
        statistics.connections.add(1, ordering: .relaxed)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        handshakeDeadline = context.eventLoop.scheduleTask(in: configuration.handshakeTimeout) {
            let handler = bound.value
            if !handler.handshake.isComplete {
                handler.statistics.closedForBadInput.add(1, ordering: .relaxed)
                handler.close(reason: "no RTMP handshake within \(handler.configuration.handshakeTimeout)", level: .info)
            }
        }
        timeoutCheck = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            bound.value.checkTimeouts()
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var bytes = unwrapInboundIn(data)
        lastRead = .now()
        run(session.bytesReceived(bytes.readableBytes))
        do {
            if !handshake.isComplete {
                handshakeBytes.setOrWriteBuffer(&bytes)
                loop: while true {
                    switch try handshake.feed(&handshakeBytes!) {
                    case .needMoreData: return
                    case .send(let reply):
                        bytesWritten += reply.readableBytes
                        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
                    case .complete: break loop
                    }
                }
                bytes = handshakeBytes!
                handshakeBytes = nil
                handshakeDeadline?.cancel()
                handshakeDeadline = nil
                logger.debug("RTMP handshake done")
            }
            inbound.setOrWriteBuffer(&bytes)
            while !closing, let message = try decoder.decode(buffer: &inbound!) {
                try received(message)
            }
            if inbound?.readableBytes == 0 {
                inbound = nil
            } else if let reader = inbound?.readerIndex, reader > 64 << 10 {
                inbound!.discardReadBytes()
            }
        } catch {
            statistics.closedForBadInput.add(1, ordering: .relaxed)
            close(reason: "\(error)", level: .warning)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeDeadline?.cancel()
        handshakeDeadline = nil
        timeoutCheck?.cancel()
        timeoutCheck = nil
        sendDelayTick?.cancel()
        sendDelayTick = nil
        for (_, p) in publishing {
            p.publisher.end()
            logger.info("RTMP publish ended", metadata: ["path": "\(p.publisher.path)", "units": "\(p.publisher.stream.unitsIn)"])
        }
        publishing.removeAll()
        for (_, p) in playing {
            p.stream.unsubscribe(p.queue)
            left(p)
            statistics.playerUnitsDropped.add(p.queue.lost, ordering: .relaxed)
            logger.info("RTMP player left", metadata: ["path": "\(p.stream.path)", "dropped": "\(p.queue.dropped)"])
        }
        playing.removeAll()
        logger.debug("RTMP connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer that resets or vanishes is ordinary (players closed, phones off the network):
        // info, so the warnings an operator reads stay about what is wrong.
        let errno = (error as? IOError)?.errnoCode
        let ordinary = errno == ECONNRESET || errno == EPIPE || errno == ETIMEDOUT
        close(reason: ordinary ? "the peer closed the connection (\(error))" : "\(error)", level: ordinary ? .info : .warning)
    }

    /// Read timeouts and the player write stall, checked once a second.
    private func checkTimeouts() {
        guard !closing else { return }
        let now = NIODeadline.now()
        if let since = inactiveSince, now - since >= configuration.sessionStartTimeout {
            statistics.closedForTimeout.add(1, ordering: .relaxed)
            close(reason: "neither publishing nor playing for \(configuration.sessionStartTimeout)", level: .info)
        } else if !publishing.isEmpty, now - lastRead >= configuration.publisherIdleTimeout {
            statistics.closedForTimeout.add(1, ordering: .relaxed)
            close(reason: "publisher sent nothing for \(configuration.publisherIdleTimeout)", level: .warning)
        } else if let since = unwritableSince, now - since >= configuration.playerStallTimeout {
            statistics.closedForTimeout.add(1, ordering: .relaxed)
            close(reason: "peer read nothing for \(configuration.playerStallTimeout)", level: .info)
        }
    }

    /// Keeps `inactiveSince` in step with whether anything is published or played.
    private func updateActivity() {
        if publishing.isEmpty && playing.isEmpty {
            if inactiveSince == nil { inactiveSince = .now() }
        } else {
            inactiveSince = nil
        }
    }

    // MARK: session

    private func received(_ message: RTMPMessage) throws {
        run(try session.received(message))
    }

    private func run(_ actions: [RTMPSessionAction]) {
        for action in actions {
            guard !closing else { return }
            switch action {
            case .send(let message): send(message)
            case .publish(let id, let path, let query): startPublishing(streamID: id, path: path, query: query)
            case .play(let id, let path, let query): startPlaying(streamID: id, path: path, query: query)
            case .media(let message): media(message)
            case .stopPublishing(let id): stopPublishing(id)
            case .stopPlaying(let id): stopPlaying(id)
            case .close(let reason): close(reason: reason, level: .info)
            }
        }
        updateActivity()
    }

    private func send(_ message: RTMPMessage) {
        guard let context else { return }
        var out = context.channel.allocator.buffer(capacity: message.payload.readableBytes + 32)
        encoder.encode(message, into: &out)
        bytesWritten += out.readableBytes
        context.write(wrapOutboundOut(out), promise: nil)
    }

    private func close(reason: String, level: Logger.Level) {
        guard !closing, let context else { return }
        closing = true
        logger.log(level: level, "RTMP connection closing: \(reason)")
        context.flush()
        context.close(promise: nil)
    }

    // MARK: publish

    private func startPublishing(streamID: UInt32, path raw: String, query: String) {
        let path: StreamPath
        do {
            path = try StreamPath(validating: raw)
        } catch {
            logger.warning("RTMP publish refused: \(error)", metadata: ["path": "\(StreamPath.escaped(raw))"])
            run(session.publishRejected(streamID: streamID, code: "NetStream.Publish.BadName", reason: "bad stream name: \(error)"))
            return
        }
        let request = AccessRequest(action: .publish, path: path.value, query: query, transport: "rtmp", remote: remote)
        decide(request, streamID: streamID) { handler, decision in handler.continuePublishing(streamID: streamID, path: path, decision: decision) }
    }

    /// Runs `then` on the event loop with the access decision: at once for the cheap checks, or
    /// when the webhook answers (nothing is started for the stream meanwhile; its media is ignored).
    private func decide(_ request: AccessRequest, streamID: UInt32,
                        then: @escaping (RTMPConnectionHandler, AccessDecision) -> Void) {
        guard access.needsAsyncDecision(request), let loop = context?.eventLoop else {
            awaitingDecision[streamID] = nil
            return then(self, access.check(request))
        }
        decisionGeneration += 1
        let generation = decisionGeneration
        awaitingDecision[streamID] = generation
        let bound = NIOLoopBound(self, eventLoop: loop)
        let access = self.access
        let call = NIOLoopBound(then, eventLoop: loop)
        Task {
            let decision = await access.authorize(request)
            loop.execute {
                let handler = bound.value
                guard !handler.closing, handler.awaitingDecision[streamID] == generation else { return }
                handler.awaitingDecision[streamID] = nil
                call.value(handler, decision)
                handler.updateActivity()
                handler.context?.flush()
            }
        }
    }

    private func continuePublishing(streamID: UInt32, path: StreamPath, decision: AccessDecision) {
        guard decision.allowed else {
            logger.info("RTMP publish refused: \(decision.reason)", metadata: ["path": "\(path)"])
            run(session.publishRejected(streamID: streamID, code: "NetStream.Publish.Unauthorized", reason: decision.reason))
            return
        }
        guard let eventLoop = context?.eventLoop else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        publishGeneration += 1
        let generation = publishGeneration
        if let old = publishing.removeValue(forKey: streamID) { old.publisher.end() } // re-publish on the same stream
        let publisher: Publisher
        do {
            publisher = try hub.publish(path, credential: decision.credential, maxPublishers: admission.maxPublishers()) {
                eventLoop.execute { bound.value.evicted(streamID: streamID, generation: generation) }
            }
        } catch {
            logger.warning("RTMP publish refused: \(error)", metadata: ["path": "\(path)"])
            run(session.publishRejected(streamID: streamID, code: "NetStream.Publish.BadName", reason: "\(error)"))
            return
        }
        // Authorised: full-size media messages from now on.
        decoder.setLimits(maxMessageSize: configuration.maxMessageSize, maxBufferedBytes: configuration.maxMessageSize + (1 << 20))
        publishing[streamID] = Publishing(publisher: publisher, generation: generation)
        publisher.describe(PublisherInfo(transport: "rtmp", remote: Self.describe(context?.channel.remoteAddress))) { reason in
            eventLoop.execute { bound.value.stopped(streamID: streamID, generation: generation, reason: reason) }
        }
        statistics.publishes.add(1, ordering: .relaxed)
        logger.info("RTMP publish started", metadata: ["path": "\(path)"])
        run(session.publishAccepted(streamID: streamID))
    }

    private func evicted(streamID: UInt32, generation: Int) {
        guard let p = publishing[streamID], p.generation == generation else { return }
        publishing[streamID] = nil
        statistics.takeovers.add(1, ordering: .relaxed)
        logger.info("RTMP publisher replaced by a new one", metadata: ["path": "\(p.publisher.path)"])
        run(session.publishEvicted(streamID: streamID))
    }

    /// The server stopped this publisher (an operator's kick, shutdown): it gets an onStatus
    /// saying why, then the connection closes (channelInactive ends the stream).
    private func stopped(streamID: UInt32, generation: Int, reason: String) {
        guard let p = publishing[streamID], p.generation == generation else { return }
        logger.notice("RTMP publisher stopped by the server", metadata: ["path": "\(p.publisher.path)", "reason": "\(reason)"])
        run(session.publishStopped(streamID: streamID, reason: reason))
    }

    /// `127.0.0.1:50312`, `[::1]:50312`.
    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "?" }
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    private func stopPublishing(_ streamID: UInt32) {
        guard let p = publishing.removeValue(forKey: streamID) else { return }
        p.publisher.end()
        logger.info("RTMP publish ended", metadata: ["path": "\(p.publisher.path)", "units": "\(p.publisher.stream.unitsIn)"])
    }

    private func media(_ message: RTMPMessage) {
        guard var p = publishing[message.streamID] else { return }
        let events: [FLVIngest.Event]
        do {
            events = try p.ingest.handle(message, wallClock: WallClock.nowMicros())
        } catch let refusal as FLVIngestError {
            // A codec players cannot play, or parameter sets out of range: the publisher is told why.
            statistics.closedForBadInput.add(1, ordering: .relaxed)
            logger.warning("RTMP publish refused", metadata: ["path": "\(p.publisher.path)", "reason": "\(refusal)"])
            stopPublishing(message.streamID)
            run(session.publishRejected(streamID: message.streamID, reason: refusal.description))
            return
        } catch {
            statistics.closedForBadInput.add(1, ordering: .relaxed)
            close(reason: "bad media message: \(error)", level: .warning)
            return
        }
        for event in events {
            switch event {
            case .tracks(let tracks):
                p.publisher.setTracks(tracks)
                logger.info("RTMP tracks", metadata: ["path": "\(p.publisher.path)", "tracks": "\(tracks.map(Self.describe))"])
            case .unit(let unit): p.publisher.write(unit)
            case .metadata(let meta): metadata(meta, publishing: &p)
            }
        }
        let repairs = p.ingest.timestamps.repairs
        if repairs != p.countedRepairs {
            statistics.timestampRepairs.add(repairs - p.countedRepairs, ordering: .relaxed)
            p.countedRepairs = repairs
        }
        if repairs != p.loggedRepairs {
            let now = NIODeadline.now()
            if p.lastRepairLog.map({ now - $0 >= .seconds(10) }) ?? true {
                logger.warning("RTMP timestamps repaired", metadata: [
                    "path": "\(p.publisher.path)", "repairs": "\(repairs)", "last": "\(p.ingest.timestamps.lastRepair ?? "")",
                ])
                p.loggedRepairs = repairs
                p.lastRepairLog = now
            }
        }
        publishing[message.streamID] = p
    }

    /// onMetaData is informational and sent once per publish; a flood or a huge one is dropped.
    private func metadata(_ meta: [String: String], publishing p: inout Publishing) {
        let now = NIODeadline.now()
        let size = meta.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        if size > configuration.maxMetadataBytes || p.lastMetadata.map({ now - $0 < configuration.metadataInterval }) ?? false {
            p.droppedMetadata += 1
            if p.droppedMetadata == 1 {
                logger.warning("RTMP onMetaData dropped: \(size) bytes, or more than one per \(configuration.metadataInterval)",
                               metadata: ["path": "\(p.publisher.path)"])
            }
            return
        }
        p.lastMetadata = now
        p.publisher.setMetadata(meta)
    }

    static func describe(_ t: TrackInfo) -> String {
        switch t.kind {
        case .video: "\(t.codec.rawValue) \(t.width)x\(t.height)"
        case .audio: "\(t.codec.rawValue) \(t.sampleRate)Hz \(t.channels)ch"
        }
    }

    // MARK: send-delay control

    /// The player left: its status goes, a switch in flight is dropped.
    private func left(_ p: Playing) {
        if let s = p.control?.pending { s.stream.unsubscribe(s.queue) }
        p.home.reportPlayer(p.playerID, nil)
    }

    private func startSendDelayTicks(context: ChannelHandlerContext) {
        guard sendDelayTick == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let tick = configuration.playerSendDelayTick
        sendDelayTick = context.eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
            bound.value.sampleSendDelay()
        }
    }

    /// Samples every player's queue and carries out its controller's decision. On the event
    /// loop; nothing here waits.
    private func sampleSendDelay() {
        guard let context, !closing else { return }
        let buffered = (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        let delivered = bytesWritten - buffered
        let now = NIODeadline.now()
        for id in playing.keys.sorted() {
            guard var p = playing[id], var c = p.control else { continue }
            if c.ticks % 5 == 0 {
                // While a switch waits for its keyframe the controller is already on the target.
                refreshLadder(&c, path: p.path, current: c.pending?.rung.name ?? p.status.rendition, now: now)
            }
            c.ticks += 1
            while let first = c.written.first, first.end <= delivered { c.written.removeFirst() }
            let backlog = p.queue.backlog
            let oldest = c.written.first?.dtsMillis ?? backlog.oldestMillis
            let newest = backlog.newestMillis ?? p.queue.newestMillis
            let queuedMillis = oldest.flatMap { o in newest.map { max($0 - o, 0) } } ?? 0
            let sample = SendDelayController.Sample(queuedMillis: queuedMillis, queuedBytes: buffered + backlog.bytes,
                                                    deliveredBytes: delivered, nowMillis: now.uptimeNanoseconds.millis)
            let from = p.status.rendition
            let decision = c.controller.update(sample)
            logger.trace("RTMP player send queue", metadata: [
                "path": "\(p.path)", "queued_ms": "\(queuedMillis)", "buffered": "\(buffered)", "backlog": "\(backlog.bytes)",
                "decision": "\(decision)",
            ])
            p.status.queuedMillis = c.controller.effectiveQueuedMillis(sample)
            switch decision {
            case .stay:
                break
            case .moveDown(let to), .moveUp(let to):
                let up = decision == .moveUp(to: to)
                if let old = c.pending { old.stream.unsubscribe(old.queue) }
                c.pending = nil
                // A move back to what is being sent cancels the switch in flight, nothing more.
                if to < c.ladder.count, c.ladder[to].name == from { break }
                guard to < c.ladder.count, let target = hub.stream(c.ladder[to].path),
                      let queue = target.subscribe(capacity: configuration.playerQueueCapacity,
                                                   byteCapacity: configuration.playerQueueBytes, fromNextKeyframe: true) else {
                    c.controller.moveFailed(rendition: c.ladder.firstIndex { $0.name == from } ?? 0)
                    break
                }
                c.pending = .init(stream: target, queue: queue, rung: c.ladder[to], index: to, from: from, up: up,
                                  queuedMillis: p.status.queuedMillis)
                let loop = context.eventLoop
                let bound = NIOLoopBound(self, eventLoop: loop)
                queue.notifyWhenReady { loop.execute { bound.value.switchReady(streamID: id, queue: queue) } }
            case .skipToKeyframe:
                let units = p.queue.skipToKeyframe()
                p.playout.discontinuity() // the player's timestamps continue without the gap
                p.status.keyframeSkips += 1
                statistics.playerKeyframeSkips.add(1, ordering: .relaxed)
                logger.info("RTMP player skipped to the next keyframe", metadata: [
                    "path": "\(p.path)", "rendition": "\(from)", "queued_ms": "\(p.status.queuedMillis)", "units": "\(units)",
                ])
            }
            p.control = c
            p.home.reportPlayer(p.playerID, p.status)
            playing[id] = p
        }
    }

    /// The ladder: the path asked for, then its renditions in the hub by falling bitrate.
    private func refreshLadder(_ c: inout SendDelayControl, path: String, current: String, now: NIODeadline) {
        var streams: [(name: String, stream: LiveStream?, nominal: Int)] = [("source", hub.stream(path), 0)]
        for r in hub.renditions(of: path) {
            streams.append((String(r.path.dropFirst(path.count + 1)), r, r.tracks.first { $0.kind == .video }?.bitrate ?? 0))
        }
        // Each rendition's rate as it flows (video and audio), measured from its input every 2 s;
        // the rung's nominal video bitrate until then.
        var ladder: [SendDelayControl.Rung] = []
        for (name, stream, nominal) in streams {
            var rate = c.rates[name] ?? nominal
            if let stream {
                if let mark = c.rateMarks[name], mark.stream === stream {
                    if now - mark.at >= .seconds(2) {
                        let seconds = Double((now - mark.at).nanoseconds) / 1e9
                        rate = Int(Double(max(stream.bytesIn - mark.bytes, 0)) * 8 / seconds)
                        c.rateMarks[name] = (stream, stream.bytesIn, now)
                    }
                } else {
                    c.rateMarks[name] = (stream, stream.bytesIn, now)
                }
            }
            c.rates[name] = rate
            ladder.append(.init(name: name, path: name == "source" ? path : "\(path)/\(name)", bitrate: rate))
        }
        c.ladder = ladder
        c.controller.setLadder(ladder.map(\.bitrate), rendition: ladder.firstIndex { $0.name == current } ?? 0)
    }

    /// The switch target's queue has events: once it holds a video keyframe, the player moves
    /// over (new sequence headers, timestamps continuing); what came before the keyframe goes.
    private func switchReady(streamID: UInt32, queue: ReaderQueue) {
        guard let context, !closing, var p = playing[streamID], var c = p.control, var s = c.pending, s.queue === queue else { return }
        var start: Int?
        let (events, ended) = queue.drain(max: Self.pumpBatch)
        for (i, event) in events.enumerated() {
            switch event {
            case .tracks(let t): s.tracks = t
            case .metadata(let m): s.metadata = m
            case .discontinuity: break
            case .unit(let u): if u.track == .video && u.isKeyframe { start = i }
            }
            if start != nil { break }
        }
        guard let start else {
            if ended {
                // The rendition went away before its keyframe: stay where we are.
                c.pending = nil
                c.controller.moveFailed(rendition: c.ladder.firstIndex { $0.name == p.status.rendition } ?? 0)
                p.control = c
                playing[streamID] = p
            } else {
                c.pending = s
                p.control = c
                playing[streamID] = p
                let loop = context.eventLoop
                let bound = NIOLoopBound(self, eventLoop: loop)
                queue.notifyWhenReady { loop.execute { bound.value.switchReady(streamID: streamID, queue: queue) } }
            }
            return
        }
        // Switch: the old queue and its backlog go; the target continues from its keyframe.
        p.stream.unsubscribe(p.queue)
        statistics.playerUnitsDropped.add(p.queue.lost, ordering: .relaxed)
        p.stream = s.stream
        p.queue = s.queue
        p.playout.discontinuity()
        p.status.rendition = s.rung.name
        if s.up { p.status.movesUp += 1 } else { p.status.movesDown += 1 }
        if s.up {
            statistics.playerMovesUp.add(1, ordering: .relaxed)
        } else {
            statistics.playerMovesDown.add(1, ordering: .relaxed)
        }
        c.pending = nil
        c.written.removeAll()
        p.control = c
        playing[streamID] = p
        p.home.reportPlayer(p.playerID, p.status)
        logger.info(s.up ? "RTMP player moved up a rendition" : "RTMP player moved down a rendition", metadata: [
            "path": "\(p.path)", "from": "\(s.from)", "to": "\(s.rung.name)", "queued_ms": "\(s.queuedMillis)",
        ])
        var out = context.channel.allocator.buffer(capacity: 0)
        var head: [HubEvent] = []
        head.append(.tracks(s.tracks ?? s.stream.tracks))
        if let metadata = s.metadata { head.append(.metadata(metadata)) }
        for event in head + events[start...] { append(event, streamID: streamID, into: &out) }
        if out.readableBytes > 0 {
            bytesWritten += out.readableBytes
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
        if ended {
            streamEnded(streamID: streamID, queue: s.queue)
        } else {
            pump(streamID: streamID, queue: s.queue)
        }
    }

    // MARK: play

    private func startPlaying(streamID: UInt32, path raw: String, query: String) {
        guard let path = try? StreamPath(validating: raw).value else {
            logger.info("RTMP play of an invalid name", metadata: ["path": "\(StreamPath.escaped(raw))"])
            run(session.playRejected(streamID: streamID, reason: "no such stream"))
            return
        }
        let request = AccessRequest(action: .play, path: path, query: query, transport: "rtmp", remote: remote)
        decide(request, streamID: streamID) { handler, decision in handler.continuePlaying(streamID: streamID, path: path, decision: decision) }
    }

    private func continuePlaying(streamID: UInt32, path: String, decision: AccessDecision) {
        guard decision.allowed else {
            logger.info("RTMP play refused: \(decision.reason)", metadata: ["path": "\(path)"])
            run(session.playRejected(streamID: streamID, code: "NetStream.Play.Failed", reason: decision.reason))
            return
        }
        guard let context, let stream = hub.stream(path), let queue = stream.subscribe(capacity: configuration.playerQueueCapacity,
                                                                                                       byteCapacity: configuration.playerQueueBytes) else {
            logger.info("RTMP play of a path nobody publishes", metadata: ["path": "\(path)"])
            run(session.playRejected(streamID: streamID, reason: "\(path) is not published"))
            return
        }
        stopPlaying(streamID)
        var p = Playing(stream: stream, queue: queue, playout: FLVPlayout(streamID: streamID), path: path, home: stream)
        if let config = configuration.playerSendDelay {
            p.control = SendDelayControl(controller: SendDelayController(ladder: [0], configuration: config),
                                         ladder: [.init(name: "source", path: path, bitrate: 0)])
            startSendDelayTicks(context: context)
            // What the kernel holds unsent is invisible to the controller: bound it, so the
            // queue builds where the controller can act on it.
            if let bytes = configuration.playerNotSentLowWater {
                let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_NOTSENT_LOWAT)))
                try? context.channel.syncOptions?.setOption(option, value: SocketOptionValue(bytes))
            }
            if let bytes = configuration.playerSendBuffer {
                try? context.channel.syncOptions?.setOption(ChannelOptions.socketOption(.so_sndbuf), value: SocketOptionValue(bytes))
            }
        }
        stream.reportPlayer(p.playerID, p.status)
        playing[streamID] = p
        logger.info("RTMP play started", metadata: ["path": "\(path)"])
        statistics.plays.add(1, ordering: .relaxed)
        run(session.playAccepted(streamID: streamID))
        context.flush()

        pump(streamID: streamID, queue: queue)
    }

    /// Most events one pump writes before letting the loop's other channels run.
    static let pumpBatch = 256

    /// Writes everything the player's queue holds in one buffer and one flush, then waits for
    /// the next event (or for the socket to drain). Runs on the event loop: a hub event costs a
    /// wake-up per batch, not a task hop per player. A slow player backs up into its bounded
    /// queue, which drops, never into memory.
    private func pump(streamID: UInt32, queue: ReaderQueue) {
        guard let context, !closing, playing[streamID]?.queue === queue else { return }
        guard context.channel.isWritable else {
            waitingForWritable.insert(streamID)
            if unwritableSince == nil { unwritableSince = .now() }
            return
        }
        let (events, ended) = queue.drain(max: Self.pumpBatch)
        var out = context.channel.allocator.buffer(capacity: 0)
        for event in events { append(event, streamID: streamID, into: &out) }
        if out.readableBytes > 0 {
            bytesWritten += out.readableBytes
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        if ended {
            streamEnded(streamID: streamID, queue: queue)
        } else if events.count == Self.pumpBatch {
            loop.execute { bound.value.pump(streamID: streamID, queue: queue) }
        } else {
            queue.notifyWhenReady { loop.execute { bound.value.pump(streamID: streamID, queue: queue) } }
        }
    }

    /// Reads only while our writes drain: a peer that sends commands and never reads the
    /// replies stops being read, so its replies cannot pile up in memory.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else if !pendingRead {
            pendingRead = true
            statistics.readPauses.add(1, ordering: .relaxed)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            unwritableSince = nil
            if pendingRead {
                pendingRead = false
                context.read()
            }
            let waiting = waitingForWritable
            waitingForWritable.removeAll()
            for id in waiting { if let p = playing[id] { pump(streamID: id, queue: p.queue) } }
        }
        context.fireChannelWritabilityChanged()
    }

    /// The stream ended. A publisher that reconnects within the grace period continues it for
    /// this player; otherwise the play ends.
    private func streamEnded(streamID: UInt32, queue: ReaderQueue) {
        guard let context, isCurrent(streamID: streamID, queue: queue), let path = playing[streamID]?.path else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let hub = self.hub, capacity = configuration.playerQueueCapacity, bytes = configuration.playerQueueBytes
        let grace = configuration.playerRepublishGrace
        Task {
            guard let found = await RTMPConnectionHandler.waitForRepublish(hub: hub, path: path, capacity: capacity,
                                                                                 bytes: bytes, grace: grace) else {
                loop.execute { bound.value.playEnded(streamID: streamID, queue: queue) }
                return
            }
            loop.execute {
                if bound.value.resume(streamID: streamID, from: queue, to: found.queue, stream: found.stream) {
                    bound.value.pump(streamID: streamID, queue: found.queue)
                } else {
                    found.stream.unsubscribe(found.queue)
                }
            }
        }
    }

    private static func waitForRepublish(hub: StreamHub, path: String, capacity: Int, bytes: Int,
                                         grace: Duration) async -> (stream: LiveStream, queue: ReaderQueue)? {
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while clock.now < deadline {
            if let stream = hub.stream(path), stream.hasPublisher, let queue = stream.subscribe(capacity: capacity, byteCapacity: bytes) {
                return (stream, queue)
            }
            do {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                return nil // cancelled
            }
        }
        return nil
    }

    private func isCurrent(streamID: UInt32, queue: ReaderQueue) -> Bool {
        !closing && playing[streamID]?.queue === queue
    }

    /// The player continues on the republished stream, as after a takeover.
    private func resume(streamID: UInt32, from old: ReaderQueue, to queue: ReaderQueue, stream: LiveStream) -> Bool {
        guard !closing, var p = playing[streamID], p.queue === old else { return false }
        statistics.playerUnitsDropped.add(old.lost, ordering: .relaxed)
        p.stream.unsubscribe(old)
        p.stream = stream
        p.queue = queue
        p.playout.discontinuity()
        // Back on the stream asked for (a new publisher brings new renditions).
        if p.home !== stream {
            p.home.reportPlayer(p.playerID, nil)
            p.home = stream
        }
        if var c = p.control {
            if let s = c.pending { s.stream.unsubscribe(s.queue) }
            c.pending = nil
            c.written.removeAll()
            c.controller.moveFailed(rendition: 0)
            p.control = c
        }
        p.status.rendition = "source"
        p.home.reportPlayer(p.playerID, p.status)
        playing[streamID] = p
        logger.info("RTMP play resumed: the path was published again", metadata: ["path": "\(stream.path)"])
        return true
    }

    /// Encodes one hub event for the player into `out`.
    private func append(_ event: HubEvent, streamID: UInt32, into out: inout ByteBuffer) {
        guard var p = playing[streamID] else { return }
        let messages: [RTMPMessage]
        switch event {
        case .tracks(let tracks): messages = p.playout.tracksChanged(tracks)
        case .metadata(let meta): messages = p.playout.metadataChanged(meta)
        case .discontinuity: p.playout.discontinuity(); messages = []
        case .unit(let unit): messages = p.playout.unit(unit)
        }
        for m in messages { encoder.encode(m, into: &out) }
        if case .unit(let unit) = event, !messages.isEmpty, p.control != nil {
            p.control!.written.append((bytesWritten + out.readableBytes, unit.timebase.rescale(unit.dts, to: .milliseconds)))
        }
        playing[streamID] = p
    }

    private func playEnded(streamID: UInt32, queue: ReaderQueue) {
        guard let p = playing[streamID], p.queue === queue else { return }
        playing[streamID] = nil
        left(p)
        statistics.playerUnitsDropped.add(p.queue.lost, ordering: .relaxed)
        logger.info("RTMP play ended: the publisher left", metadata: ["path": "\(p.stream.path)", "dropped": "\(p.queue.dropped)"])
        run(session.playEnded(streamID: streamID))
        updateActivity()
        context?.flush()
    }

    private func stopPlaying(_ streamID: UInt32) {
        guard let p = playing.removeValue(forKey: streamID) else { return }
        p.stream.unsubscribe(p.queue)
        left(p)
        statistics.playerUnitsDropped.add(p.queue.lost, ordering: .relaxed)
        logger.info("RTMP play stopped", metadata: ["path": "\(p.stream.path)", "dropped": "\(p.queue.dropped)"])
    }
}

@available(*, unavailable)
extension RTMPConnectionHandler: Sendable {}

private extension UInt64 {
    var millis: Int64 { Int64(clamping: self / 1_000_000) }
}
