#if canImport(Glibc)
import Glibc
#endif
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
        var stream: LiveStream
        var queue: ReaderQueue
        var playout: FLVPlayout
    }

    private let hub: StreamHub
    private let access: any AccessControl
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

    init(hub: StreamHub, access: any AccessControl, logger: Logger, configuration: RTMPServerConfiguration,
         statistics: RTMPServerStatistics = RTMPServerStatistics()) {
        self.hub = hub
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
                    case .send(let reply): context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
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
        for (_, p) in publishing {
            p.publisher.end()
            logger.info("RTMP publish ended", metadata: ["path": "\(p.publisher.path)", "units": "\(p.publisher.stream.unitsIn)"])
        }
        publishing.removeAll()
        for (_, p) in playing {
            p.stream.unsubscribe(p.queue)
            statistics.playerUnitsDropped.add(p.queue.dropped, ordering: .relaxed)
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
        guard access.authorize(path: path.value, query: query, action: .publish) else {
            logger.info("RTMP publish denied", metadata: ["path": "\(path)"])
            run(session.publishRejected(streamID: streamID, reason: "publishing \(path) is not allowed"))
            return
        }
        guard let eventLoop = context?.eventLoop else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        publishGeneration += 1
        let generation = publishGeneration
        if let old = publishing.removeValue(forKey: streamID) { old.publisher.end() } // re-publish on the same stream
        let publisher: Publisher
        do {
            publisher = try hub.publish(path) {
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
        guard access.authorize(path: path, query: query, action: .play) else {
            logger.info("RTMP play denied", metadata: ["path": "\(path)"])
            run(session.playRejected(streamID: streamID, code: "NetStream.Play.Failed", reason: "playing \(path) is not allowed"))
            return
        }
        guard let context, let stream = hub.stream(path), let queue = stream.subscribe(capacity: configuration.playerQueueCapacity,
                                                                                                       byteCapacity: configuration.playerQueueBytes) else {
            logger.info("RTMP play of a path nobody publishes", metadata: ["path": "\(path)"])
            run(session.playRejected(streamID: streamID, reason: "\(path) is not published"))
            return
        }
        stopPlaying(streamID)
        playing[streamID] = Playing(stream: stream, queue: queue, playout: FLVPlayout(streamID: streamID))
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
        if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(out), promise: nil) }
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
        guard let context, isCurrent(streamID: streamID, queue: queue), let path = playing[streamID]?.stream.path else { return }
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
        statistics.playerUnitsDropped.add(old.dropped, ordering: .relaxed)
        p.stream = stream
        p.queue = queue
        p.playout.discontinuity()
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
        playing[streamID] = p
        for m in messages { encoder.encode(m, into: &out) }
    }

    private func playEnded(streamID: UInt32, queue: ReaderQueue) {
        guard let p = playing[streamID], p.queue === queue else { return }
        playing[streamID] = nil
        statistics.playerUnitsDropped.add(p.queue.dropped, ordering: .relaxed)
        logger.info("RTMP play ended: the publisher left", metadata: ["path": "\(p.stream.path)", "dropped": "\(p.queue.dropped)"])
        run(session.playEnded(streamID: streamID))
        updateActivity()
        context?.flush()
    }

    private func stopPlaying(_ streamID: UInt32) {
        guard let p = playing.removeValue(forKey: streamID) else { return }
        p.stream.unsubscribe(p.queue)
        statistics.playerUnitsDropped.add(p.queue.dropped, ordering: .relaxed)
        logger.info("RTMP play stopped", metadata: ["path": "\(p.stream.path)", "dropped": "\(p.queue.dropped)"])
    }
}

@available(*, unavailable)
extension RTMPConnectionHandler: Sendable {}
