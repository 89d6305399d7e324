import MediaCore
import NIOCore
import RTMP
import StreamHub

/// One RTMP `play` (one stream ID of a connection) as a state machine: the hub queue it sends
/// from, its send-delay control (rendition moves, keyframe skips) and its end. No sockets: the
/// connection handler feeds it hub events, socket progress and clock samples, carries out the
/// `Action`s it returns and does the hub look-ups it asks for.
struct RTMPPlayer {
    /// A hub stream and this player's queue on it.
    struct Feed {
        var stream: LiveStream
        var queue: ReaderQueue
    }

    enum State {
        /// Sending the feed's events.
        case sending
        /// Sending the feed's events while a move to another rendition waits for its keyframe.
        case switching(Switch)
        /// The feed ended: waiting for the path to be published again (the handler bounds the wait).
        case awaitingRepublish
        /// Over: nothing more is sent.
        case ended
    }

    struct Rung: Equatable {
        var name: String
        var path: String
        var bitrate: Int
    }

    /// A move in flight: the target's queue starts at its next keyframe.
    struct Switch {
        var feed: Feed
        var rung: Rung
        var from: String
        var up: Bool
        var queuedMillis: Int64
        /// The target's parameters and metadata, read before its keyframe came.
        var tracks: [TrackInfo]?
        var metadata: [String: String]?
    }

    /// What the handler carries out after a transition, in order.
    enum Action {
        /// Let go of a queue the player sent from (its losses count as the player's).
        case leave(Feed)
        /// Let go of a switch target's queue; nothing was sent from it.
        case abandon(Feed)
        /// Publish the player's status on a stream; nil: the player is gone from it.
        case report(to: LiveStream, player: Int, status: PlayerStatus?)
    }

    /// What a send-delay sample decided.
    enum Step: Equatable {
        case stay
        /// Subscribe to the rung's stream from its next keyframe, then call `switchStarted` or
        /// `switchUnavailable`.
        case move(to: Rung, up: Bool)
        /// The queue skipped `units` to its next keyframe.
        case skipped(units: Int)
    }

    struct Sample {
        var step: Step
        var decision: SendDelayController.Decision
        var queuedMillis: Int64
        var backlogBytes: Int
    }

    /// What a switch target's events did.
    enum SwitchStep {
        /// Not this player's switch in flight (it was cancelled or replaced).
        case stale
        /// No keyframe yet: wait for more.
        case waiting
        /// The target ended before its keyframe: the player stays where it is.
        case failed
        /// Moved: `send` goes out next (new sequence headers, then media from the keyframe).
        case moved(Switch, send: [HubEvent], ended: Bool)
    }

    /// Send-delay control: the controller, the ladder it moves along and what was written to
    /// the connection and not yet taken by the kernel.
    struct SendDelay {
        var controller: SendDelayController
        var ladder: [Rung]
        /// Connection byte offset at which each written unit ends, and its dts (ms).
        var written = CircularBuffer<(end: Int, dtsMillis: Int64)>()
        var ticks = 0
        /// Per rendition name: its stream's bytes in at the last measurement, and its rate.
        var rateMarks: [String: (stream: LiveStream, bytes: Int, at: NIODeadline)] = [:]
        var rates: [String: Int] = [:]
    }

    /// Samples between ladder refreshes.
    static let ladderRefreshTicks = 5

    private(set) var state = State.sending
    private(set) var feed: Feed
    /// The path the player asked for; its stream (`home`) holds the player's status.
    let path: String
    private(set) var home: LiveStream
    let playerID: Int
    private(set) var status = PlayerStatus(transport: "rtmp", rendition: "source")
    private(set) var sendDelay: SendDelay?
    private var playout: FLVPlayout

    init(streamID: UInt32, path: String, feed: Feed, sendDelay configuration: SendDelayController.Configuration?,
         playerID: Int = LiveStream.newPlayerID()) {
        self.path = path
        self.feed = feed
        home = feed.stream
        self.playerID = playerID
        playout = FLVPlayout(streamID: streamID)
        if let configuration {
            sendDelay = SendDelay(controller: SendDelayController(ladder: [0], configuration: configuration),
                                  ladder: [Rung(name: "source", path: path, bitrate: 0)])
        }
    }

    /// The status report a new player starts with.
    var started: [Action] { [.report(to: home, player: playerID, status: status)] }

    /// Whether `queue` is the one being sent from (a pump of an older queue stops).
    func isSending(from queue: ReaderQueue) -> Bool {
        switch state {
        case .sending, .switching: feed.queue === queue
        case .awaitingRepublish, .ended: false
        }
    }

    var pendingSwitch: Switch? {
        if case .switching(let s) = state { return s }
        return nil
    }

    // MARK: sending

    /// Encodes one hub event into `out`. `offset` is the connection's byte count before `out`.
    mutating func encode(_ event: HubEvent, encoder: inout RTMPChunkEncoder, offset: Int, into out: inout ByteBuffer) {
        let messages: [RTMPMessage]
        switch event {
        case .tracks(let tracks): messages = playout.tracksChanged(tracks)
        case .metadata(let meta): messages = playout.metadataChanged(meta)
        case .discontinuity: playout.discontinuity(); messages = []
        case .unit(let unit): messages = playout.unit(unit)
        }
        for m in messages { encoder.encode(m, into: &out) }
        if case .unit(let unit) = event, !messages.isEmpty, sendDelay != nil {
            sendDelay!.written.append((offset + out.readableBytes, unit.timebase.rescale(unit.dts, to: .milliseconds)))
        }
    }

    // MARK: send-delay control

    /// One sample of the send queue: `buffered` bytes the channel holds, `delivered` bytes the
    /// kernel took so far. `streams` lists the ladder (the path, then its renditions by falling
    /// bitrate, with their nominal video bitrates); it is asked every `ladderRefreshTicks` samples.
    mutating func sample(buffered: Int, delivered: Int, now: NIODeadline,
                         streams: () -> [(name: String, stream: LiveStream?, nominal: Int)]) -> (Sample, [Action])? {
        guard var c = sendDelay else { return nil }
        switch state {
        case .sending, .switching: break
        case .awaitingRepublish, .ended: return nil // nothing is sent: nothing to control
        }
        if c.ticks % Self.ladderRefreshTicks == 0 {
            // While a switch waits for its keyframe the controller is already on the target.
            Self.refreshLadder(&c, path: path, streams: streams(), current: pendingSwitch?.rung.name ?? status.rendition, now: now)
        }
        c.ticks += 1
        while let first = c.written.first, first.end <= delivered { c.written.removeFirst() }
        let backlog = feed.queue.backlog
        let oldest = c.written.first?.dtsMillis ?? backlog.oldestMillis
        let newest = backlog.newestMillis ?? feed.queue.newestMillis
        let queuedMillis = oldest.flatMap { o in newest.map { max($0 - o, 0) } } ?? 0
        let input = SendDelayController.Sample(queuedMillis: queuedMillis, queuedBytes: buffered + backlog.bytes,
                                               deliveredBytes: delivered, nowMillis: Int64(clamping: now.uptimeNanoseconds / 1_000_000))
        let from = status.rendition
        let decision = c.controller.update(input)
        status.queuedMillis = c.controller.effectiveQueuedMillis(input)
        var actions: [Action] = []
        var step = Step.stay
        switch decision {
        case .stay:
            break
        case .moveDown(let to), .moveUp(let to):
            // A newer decision replaces the switch in flight.
            if let old = pendingSwitch {
                actions.append(.abandon(old.feed))
                state = .sending
            }
            // A move back to what is being sent cancels the switch in flight, nothing more.
            if to < c.ladder.count, c.ladder[to].name == from { break }
            if to < c.ladder.count {
                step = .move(to: c.ladder[to], up: decision == .moveUp(to: to))
            } else {
                c.controller.moveFailed(rendition: c.ladder.firstIndex { $0.name == from } ?? 0)
            }
        case .skipToKeyframe:
            let units = feed.queue.skipToKeyframe()
            playout.discontinuity() // the player's timestamps continue without the gap
            status.keyframeSkips += 1
            step = .skipped(units: units)
        }
        sendDelay = c
        actions.append(.report(to: home, player: playerID, status: status))
        return (Sample(step: step, decision: decision, queuedMillis: queuedMillis, backlogBytes: backlog.bytes), actions)
    }

    /// The move a sample asked for has its queue (from the target's next keyframe).
    mutating func switchStarted(_ target: Feed, rung: Rung, up: Bool) {
        guard case .sending = state else { return }
        state = .switching(Switch(feed: target, rung: rung, from: status.rendition, up: up, queuedMillis: status.queuedMillis))
    }

    /// The move a sample asked for found no stream to subscribe to: the controller stays.
    mutating func switchUnavailable() {
        guard var c = sendDelay else { return }
        let from = status.rendition
        c.controller.moveFailed(rendition: c.ladder.firstIndex { $0.name == from } ?? 0)
        sendDelay = c
    }

    /// Events drained from the switch target's queue. Once they hold a video keyframe the player
    /// moves over; what came before the keyframe goes (its tracks and metadata are kept).
    mutating func switchEvents(_ events: [HubEvent], ended: Bool, from queue: ReaderQueue) -> (SwitchStep, [Action]) {
        guard case .switching(var s) = state, s.feed.queue === queue else { return (.stale, []) }
        var start: Int?
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
                state = .sending
                switchUnavailable()
                return (.failed, [])
            }
            state = .switching(s)
            return (.waiting, [])
        }
        // The old queue and its backlog go; the target continues from its keyframe.
        let old = feed
        feed = s.feed
        playout.discontinuity()
        status.rendition = s.rung.name
        if s.up { status.movesUp += 1 } else { status.movesDown += 1 }
        sendDelay?.written.removeAll()
        state = .sending
        var send: [HubEvent] = [.tracks(s.tracks ?? s.feed.stream.tracks)]
        if let metadata = s.metadata { send.append(.metadata(metadata)) }
        send += events[start...]
        return (.moved(s, send: send, ended: ended), [.leave(old), .report(to: home, player: playerID, status: status)])
    }

    // MARK: end and republish

    /// The feed's queue ended (its publisher left). Returns false if `queue` is not the one
    /// being sent from.
    mutating func feedEnded(_ queue: ReaderQueue) -> (Bool, [Action]) {
        guard isSending(from: queue) else { return (false, []) }
        var actions: [Action] = []
        if let s = pendingSwitch { actions.append(.abandon(s.feed)) }
        state = .awaitingRepublish
        return (true, actions)
    }

    /// The path was published again within the grace period: the player continues on it, as
    /// after a takeover, on the source rendition. Nil if the player no longer waits for `old`.
    mutating func resume(from old: ReaderQueue, to new: Feed) -> [Action]? {
        guard case .awaitingRepublish = state, feed.queue === old else { return nil }
        var actions: [Action] = [.leave(feed)]
        feed = new
        playout.discontinuity()
        // Back on the stream asked for (a new publisher brings new renditions).
        if home !== new.stream {
            actions.append(.report(to: home, player: playerID, status: nil))
            home = new.stream
        }
        sendDelay?.written.removeAll()
        sendDelay?.controller.moveFailed(rendition: 0)
        status.rendition = "source"
        state = .sending
        actions.append(.report(to: home, player: playerID, status: status))
        return actions
    }

    /// The path was not published again in time. Nil if the player no longer waits for `old`.
    mutating func republishTimedOut(_ old: ReaderQueue) -> [Action]? {
        guard case .awaitingRepublish = state, feed.queue === old else { return nil }
        return stop()
    }

    /// The player stops (closeStream, deleteStream, a new play on its stream ID, the connection
    /// closing, the end of its stream).
    mutating func stop() -> [Action] {
        if case .ended = state { return [] }
        var actions: [Action] = [.leave(feed)]
        if let s = pendingSwitch { actions.append(.abandon(s.feed)) }
        actions.append(.report(to: home, player: playerID, status: nil))
        state = .ended
        return actions
    }

    /// The ladder from `streams`, each rendition's rate as it flows (video and audio) measured
    /// from its input every 2 s; the rung's nominal video bitrate until then.
    private static func refreshLadder(_ c: inout SendDelay, path: String, streams: [(name: String, stream: LiveStream?, nominal: Int)],
                                      current: String, now: NIODeadline) {
        var ladder: [Rung] = []
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
            ladder.append(Rung(name: name, path: name == "source" ? path : "\(path)/\(name)", bitrate: rate))
        }
        c.ladder = ladder
        c.controller.setLadder(ladder.map(\.bitrate), rendition: ladder.firstIndex { $0.name == current } ?? 0)
    }
}
