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
    private var players: [UInt32: RTMPPlayer] = [:]
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
        for (_, var player) in players {
            perform(player.stop())
            logger.info("RTMP player left", metadata: ["path": "\(player.feed.stream.path)", "dropped": "\(player.feed.queue.dropped)"])
        }
        players.removeAll()
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
        if publishing.isEmpty && players.isEmpty {
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
        let player = RTMPPlayer(streamID: streamID, path: path, feed: .init(stream: stream, queue: queue),
                                sendDelay: configuration.playerSendDelay)
        if player.sendDelay != nil {
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
        players[streamID] = player
        perform(player.started)
        logger.info("RTMP play started", metadata: ["path": "\(path)"])
        statistics.plays.add(1, ordering: .relaxed)
        run(session.playAccepted(streamID: streamID))
        context.flush()

        pump(streamID: streamID, queue: queue)
    }

    /// Carries out a player's transition: hub queues let go, status reports.
    private func perform(_ actions: [RTMPPlayer.Action]) {
        for action in actions {
            switch action {
            case .leave(let feed):
                feed.stream.unsubscribe(feed.queue)
                statistics.playerUnitsDropped.add(feed.queue.lost, ordering: .relaxed)
            case .abandon(let feed):
                feed.stream.unsubscribe(feed.queue)
            case .report(let stream, let player, let status):
                stream.reportPlayer(player, status)
            }
        }
    }

    /// Most events one pump writes before letting the loop's other channels run.
    static let pumpBatch = 256

    /// Writes everything the player's queue holds in one buffer and one flush, then waits for
    /// the next event (or for the socket to drain). Runs on the event loop: a hub event costs a
    /// wake-up per batch, not a task hop per player. A slow player backs up into its bounded
    /// queue, which drops, never into memory.
    private func pump(streamID: UInt32, queue: ReaderQueue) {
        guard let context, !closing, players[streamID]?.isSending(from: queue) == true else { return }
        guard context.channel.isWritable else {
            waitingForWritable.insert(streamID)
            if unwritableSince == nil { unwritableSince = .now() }
            return
        }
        let (events, ended) = queue.drain(max: Self.pumpBatch)
        write(events, streamID: streamID, context: context)
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

    /// Encodes `events` for the player in one buffer and writes it with one flush.
    private func write(_ events: some Sequence<HubEvent>, streamID: UInt32, context: ChannelHandlerContext) {
        guard var player = players[streamID] else { return }
        var out = context.channel.allocator.buffer(capacity: 0)
        for event in events { player.encode(event, encoder: &encoder, offset: bytesWritten, into: &out) }
        players[streamID] = player
        if out.readableBytes > 0 {
            bytesWritten += out.readableBytes
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
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
            for id in waiting { if let p = players[id] { pump(streamID: id, queue: p.feed.queue) } }
        }
        context.fireChannelWritabilityChanged()
    }

    /// The stream ended. A publisher that reconnects within the grace period continues it for
    /// this player; otherwise the play ends.
    private func streamEnded(streamID: UInt32, queue: ReaderQueue) {
        guard let context, !closing, var player = players[streamID] else { return }
        let (waiting, actions) = player.feedEnded(queue)
        players[streamID] = player
        perform(actions)
        guard waiting else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let hub = self.hub, capacity = configuration.playerQueueCapacity, bytes = configuration.playerQueueBytes
        let grace = configuration.playerRepublishGrace, path = player.path
        Task {
            guard let found = await RTMPConnectionHandler.waitForRepublish(hub: hub, path: path, capacity: capacity,
                                                                                 bytes: bytes, grace: grace) else {
                loop.execute { bound.value.playEnded(streamID: streamID, queue: queue) }
                return
            }
            loop.execute {
                if bound.value.resume(streamID: streamID, from: queue, to: found) {
                    bound.value.pump(streamID: streamID, queue: found.queue)
                } else {
                    found.stream.unsubscribe(found.queue)
                }
            }
        }
    }

    private static func waitForRepublish(hub: StreamHub, path: String, capacity: Int, bytes: Int,
                                         grace: Duration) async -> RTMPPlayer.Feed? {
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while clock.now < deadline {
            if let stream = hub.stream(path), stream.hasPublisher, let queue = stream.subscribe(capacity: capacity, byteCapacity: bytes) {
                return .init(stream: stream, queue: queue)
            }
            do {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                return nil // cancelled
            }
        }
        return nil
    }

    /// The player continues on the republished stream, as after a takeover.
    private func resume(streamID: UInt32, from old: ReaderQueue, to feed: RTMPPlayer.Feed) -> Bool {
        guard !closing, var player = players[streamID], let actions = player.resume(from: old, to: feed) else { return false }
        players[streamID] = player
        perform(actions)
        logger.info("RTMP play resumed: the path was published again", metadata: ["path": "\(feed.stream.path)"])
        return true
    }

    private func playEnded(streamID: UInt32, queue: ReaderQueue) {
        guard var player = players[streamID], let actions = player.republishTimedOut(queue) else { return }
        perform(actions)
        players[streamID] = nil
        logger.info("RTMP play ended: the publisher left", metadata: ["path": "\(player.feed.stream.path)", "dropped": "\(queue.dropped)"])
        run(session.playEnded(streamID: streamID))
        updateActivity()
        context?.flush()
    }

    private func stopPlaying(_ streamID: UInt32) {
        guard var player = players[streamID] else { return }
        perform(player.stop())
        players[streamID] = nil
        logger.info("RTMP play stopped", metadata: ["path": "\(player.feed.stream.path)", "dropped": "\(player.feed.queue.dropped)"])
    }

    // MARK: send-delay control

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
        for id in players.keys.sorted() {
            guard var player = players[id] else { continue }
            let from = player.status.rendition
            let path = player.path
            guard let (sample, actions) = player.sample(buffered: buffered, delivered: delivered, now: now,
                                                        streams: { ladderStreams(path) }) else { continue }
            logger.trace("RTMP player send queue", metadata: [
                "path": "\(player.path)", "queued_ms": "\(sample.queuedMillis)", "buffered": "\(buffered)",
                "backlog": "\(sample.backlogBytes)", "decision": "\(sample.decision)",
            ])
            switch sample.step {
            case .stay:
                break
            case .move(let rung, let up):
                if let target = hub.stream(rung.path),
                   let queue = target.subscribe(capacity: configuration.playerQueueCapacity,
                                                byteCapacity: configuration.playerQueueBytes, fromNextKeyframe: true) {
                    player.switchStarted(.init(stream: target, queue: queue), rung: rung, up: up)
                    let loop = context.eventLoop
                    let bound = NIOLoopBound(self, eventLoop: loop)
                    queue.notifyWhenReady { loop.execute { bound.value.switchReady(streamID: id, queue: queue) } }
                } else {
                    player.switchUnavailable()
                }
            case .skipped(let units):
                statistics.playerKeyframeSkips.add(1, ordering: .relaxed)
                logger.info("RTMP player skipped to the next keyframe", metadata: [
                    "path": "\(player.path)", "rendition": "\(from)", "queued_ms": "\(player.status.queuedMillis)", "units": "\(units)",
                ])
            }
            players[id] = player
            perform(actions)
        }
    }

    /// The ladder: the path asked for, then its renditions in the hub by falling bitrate.
    private func ladderStreams(_ path: String) -> [(name: String, stream: LiveStream?, nominal: Int)] {
        var streams: [(name: String, stream: LiveStream?, nominal: Int)] = [("source", hub.stream(path), 0)]
        for r in hub.renditions(of: path) {
            streams.append((String(r.path.dropFirst(path.count + 1)), r, r.tracks.first { $0.kind == .video }?.bitrate ?? 0))
        }
        return streams
    }

    /// The switch target's queue has events: once it holds a video keyframe, the player moves
    /// over (new sequence headers, timestamps continuing); what came before the keyframe goes.
    private func switchReady(streamID: UInt32, queue: ReaderQueue) {
        guard let context, !closing, var player = players[streamID], player.pendingSwitch?.feed.queue === queue else { return }
        let (events, ended) = queue.drain(max: Self.pumpBatch)
        let (step, actions) = player.switchEvents(events, ended: ended, from: queue)
        players[streamID] = player
        perform(actions)
        switch step {
        case .stale, .failed:
            break
        case .waiting:
            let loop = context.eventLoop
            let bound = NIOLoopBound(self, eventLoop: loop)
            queue.notifyWhenReady { loop.execute { bound.value.switchReady(streamID: streamID, queue: queue) } }
        case .moved(let s, let send, let ended):
            if s.up {
                statistics.playerMovesUp.add(1, ordering: .relaxed)
            } else {
                statistics.playerMovesDown.add(1, ordering: .relaxed)
            }
            logger.info(s.up ? "RTMP player moved up a rendition" : "RTMP player moved down a rendition", metadata: [
                "path": "\(player.path)", "from": "\(s.from)", "to": "\(s.rung.name)", "queued_ms": "\(s.queuedMillis)",
            ])
            write(send, streamID: streamID, context: context)
            if ended {
                streamEnded(streamID: streamID, queue: queue)
            } else {
                pump(streamID: streamID, queue: queue)
            }
        }
    }
}

@available(*, unavailable)
extension RTMPConnectionHandler: Sendable {}
