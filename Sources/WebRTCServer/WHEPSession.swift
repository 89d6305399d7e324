import Bitstream
import Foundation
import Logging
import MediaCore
import NIOCore
import StreamHub
import Synchronization
import WebRTC

/// One WHEP viewer: hub readers (the rung's video, the ladder's Opus) → RTP packetizers →
/// the peer. Runs on one event loop of the transport's group (never a codec thread): the
/// readers wake it, it drains them in batches. The readers are bounded (`ReaderQueue`, drop
/// to the next keyframe); a full socket queue (`sendRTP` false) skips to the next keyframe
/// too, so a viewer never builds a queue. NACKs are answered from a short history, PLI/FIR
/// ask the rung for a keyframe, a sender report goes out every second.
final class WHEPSession: MediaSession, Sendable {
    let id: String
    private let source: WHEPSource
    private let negotiated: NegotiatedSession
    private let loop: any EventLoop
    private let logger: Logger
    private let requestKeyframe: @Sendable () -> Void
    private let onClose: @Sendable (String) -> Void
    private let state: Mutex<State>
    /// Stamped on each video frame's first packet when the viewer offered playout-delay (by
    /// default min = max = 0: render at once, no jitter-buffer delay; Docs/Benchmarks.md).
    private let frameExtensions: [RTPHeaderExtension]
    /// The abs-send-time slot reserved in every video packet (nil: not negotiated, or a two-byte id).
    private let sendTimeSlot: RTPHeaderExtension?

    /// Units each reader may queue: about 2 s of 60 fps video; beyond it the reader drops to a keyframe.
    static let readerCapacity = 128
    static let readerBytes = 8 << 20
    /// Events handled per wake-up before the loop serves other work.
    static let batch = 32

    struct State {
        var pc: PeerConnection?
        var video: ReaderQueue?
        var audio: ReaderQueue?
        var videoPacketizer: H264Packetizer?
        var audioPacketizer: OpusPacketizer?
        var history = RetransmissionHistory(capacity: 1024, byteCapacity: 2 << 20)
        var parameterSets: [[UInt8]] = []
        var waitingForKeyframe = true
        var videoClock = TrackClock(rate: 90_000)
        var audioClock = TrackClock(rate: 48_000)
        var reports: RepeatedTask?
        var closed = false
        var framesSent = 0
        var framesSkipped = 0
        /// The rung read now (`video` reads it) and, while moving, the next one, read from its
        /// next keyframe; the move happens at that keyframe.
        var current: LiveStream
        var pending: (stream: LiveStream, reader: ReaderQueue, parameterSets: [[UInt8]])?
        var policy = WHEPRungPolicy()
        var moves = 0
        var movesDown = 0
        var movesUp = 0
        /// Keyframe skips: the socket's queue refused a packet, the rest of the GOP was dropped.
        var keyframeSkips = 0
        /// The latest REMB (bit/s), loss (/256) and round trip from the viewer.
        var estimate: Int?
        var fractionLost: UInt8?
        var rtt: Duration?
        /// What this viewer was sent lately (bit/s on the wire, smoothed), measured each second.
        var sent: Int?
        var lastSent: (bytes: Int, at: ContinuousClock.Instant)?
        var resendBudget = RetransmissionBudget()
        /// When the offer was answered and when DTLS-SRTP came up: the first frame's log line
        /// says where a slow start went.
        var created = ContinuousClock.now
        var connected: ContinuousClock.Instant?
        /// `start()` has begun subscribing; `begin` has armed the readers.
        var subscribing = false
        var begun = false
    }

    /// The key of this viewer in the stream's players (the status API).
    private let playerID = LiveStream.newPlayerID()

    init(id: String, source: WHEPSource, negotiated: NegotiatedSession, playoutDelay: PlayoutDelay? = .immediate,
         loop: any EventLoop, logger: Logger,
         requestKeyframe: @escaping @Sendable () -> Void, onClose: @escaping @Sendable (String) -> Void) {
        self.id = id
        self.source = source
        self.negotiated = negotiated
        self.loop = loop
        self.logger = logger
        self.requestKeyframe = requestKeyframe
        self.onClose = onClose
        if let delay = playoutDelay, let id = negotiated.video?.playoutDelayExtensionID {
            frameExtensions = [delay.element(id: id)]
        } else {
            frameExtensions = []
        }
        sendTimeSlot = negotiated.video?.absSendTimeExtensionID.flatMap(AbsSendTime.slot(id:))
        var s = State(current: source.video)
        if let v = negotiated.video { s.videoPacketizer = H264Packetizer(payloadType: v.payloadType, ssrc: v.ssrc) }
        if let a = negotiated.audio, source.audio != nil { s.audioPacketizer = OpusPacketizer(payloadType: a.payloadType, ssrc: a.ssrc) }
        if let avc = source.video.tracks.first(where: { $0.kind == .video }) { s.parameterSets = Self.parameterSets(avc) }
        state = Mutex(s)
    }

    func registered(_ pc: PeerConnection) {
        state.withLock { $0.pc = pc }
    }

    // MARK: PeerConnectionDelegate

    /// Called once the offer is answered: the viewer will start on the rung's next keyframe,
    /// asked for now, so the ladder encodes it while ICE and DTLS come up (the readers hold it
    /// and what follows until then; they are bounded and drop to a keyframe if the peer is slow).
    func start() {
        let subscribed = state.withLock { s -> Bool in
            guard !s.closed, s.video == nil else { return false }
            s.subscribing = true
            return true
        }
        guard subscribed else { return }
        let video = source.video.subscribe(capacity: Self.readerCapacity, byteCapacity: Self.readerBytes, fromNextKeyframe: true)
        let audio = state.withLock { $0.audioPacketizer } == nil ? nil
            : source.audio?.subscribe(capacity: Self.readerCapacity, byteCapacity: 1 << 20, fromNextKeyframe: true)
        let (closed, connected) = state.withLock { s -> (Bool, Bool) in
            guard !s.closed else { return (true, false) }
            s.video = video
            s.audio = audio
            return (false, s.connected != nil)
        }
        guard !closed, video != nil else {
            if let video { source.video.unsubscribe(video) }
            if let audio { source.audio?.unsubscribe(audio) }
            if !closed { close(reason: "the stream ended") }
            return
        }
        requestKeyframe()
        if connected { begin() }
    }

    func peerConnected(_ pc: PeerConnection) {
        let (subscribed, notStarted) = state.withLock { s -> (Bool, Bool) in
            s.pc = pc
            s.connected = .now
            return (s.video != nil, !s.subscribing)
        }
        if notStarted { start() } else if subscribed { begin() }
    }

    /// DTLS-SRTP is up and the readers exist: media flows (once).
    private func begin() {
        let (video, audio, closed, first) = state.withLock { s in
            defer { s.begun = true }
            return (s.video, s.audio, s.closed, !s.begun)
        }
        guard first, !closed, let video else { return }
        arm(video, isVideo: true)
        if let audio { arm(audio, isVideo: false) }
        let task = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] _ in self?.sendReports() }
        state.withLock { $0.reports = task }
    }

    func peer(_ pc: PeerConnection, receivedRTCP packets: [RTCPPacket]) {
        for packet in packets {
            switch packet {
            case .nack(_, let seqs):
                let now = ContinuousClock.now
                let resend = state.withLock { s in
                    seqs.compactMap { s.history.packet(seq: $0) }
                        .filter { s.resendBudget.allow(bytes: $0.count, sentBitsPerSecond: s.sent, now: now) }
                }
                for p in resend { _ = pc.sendRTP(stamped(p)) }
            case .receiverReport(let blocks):
                adapt(blocks)
            case .senderReport(let sr):
                adapt(sr.reports)
            case .remb(let bitrate):
                adapt(estimate: Int(clamping: bitrate))
            case .pli, .fir:
                requestKeyframe()
            case .bye:
                close(reason: "the viewer said BYE")
            default:
                break
            }
        }
    }

    func peer(_ pc: PeerConnection, receivedRTP packet: [UInt8]) {
        // A viewer sends no media; nothing to do.
    }

    func peerClosed(_ pc: PeerConnection, reason: String) {
        stop(reason: reason, closePeer: false)
    }

    func close(reason: String) {
        stop(reason: reason, closePeer: true)
    }

    // MARK: media

    private func arm(_ reader: ReaderQueue, isVideo: Bool) {
        reader.notifyWhenReady { [weak self, loop] in
            loop.execute { self?.pump(reader, isVideo: isVideo) }
        }
    }

    /// Drains one reader (on the loop), sends what it got, and waits for more.
    private func pump(_ reader: ReaderQueue, isVideo: Bool) {
        if isVideo, state.withLock({ s in s.video !== reader && s.pending?.reader !== reader }) { return } // a rung left behind
        let (events, ended) = reader.drain(max: Self.batch)
        for event in events {
            if isVideo, state.withLock({ $0.pending?.reader === reader }) {
                guard movedOn(reader, at: event) else { continue }
            }
            switch event {
            case .tracks(let tracks):
                if isVideo, let avc = tracks.first(where: { $0.kind == .video }) {
                    let sets = Self.parameterSets(avc)
                    state.withLock { $0.parameterSets = sets }
                }
            case .unit(let unit):
                if isVideo { sendVideo(unit, reader: reader) } else { sendAudio(unit) }
            case .discontinuity:
                // A new publisher: its timestamps restart; RTP time must not jump back.
                state.withLock { s in
                    if isVideo { s.videoClock.rebase() } else { s.audioClock.rebase() }
                }
            case .metadata:
                break
            }
        }
        if ended {
            // The rung ending ends the viewer (a rung it was moving to just is not moved to);
            // the Opus rendition ending only silences it.
            let moving = state.withLock { s -> Bool in
                guard let p = s.pending, p.reader === reader else { return false }
                s.pending = nil
                return true
            }
            if isVideo, !moving { close(reason: "the stream ended") }
            return
        }
        if state.withLock({ !$0.closed }) { arm(reader, isVideo: isVideo) }
    }

    /// While moving to another rung: its events before its first keyframe are dropped (its
    /// tracks kept); at that keyframe it becomes the rung read, and the old one is let go.
    /// True when `event` is to be handled as the current rung's.
    private func movedOn(_ reader: ReaderQueue, at event: HubEvent) -> Bool {
        switch event {
        case .tracks(let tracks):
            let sets = tracks.first(where: { $0.kind == .video }).map(Self.parameterSets) ?? []
            state.withLock { s in if s.pending?.reader === reader { s.pending?.parameterSets = sets } }
            return false
        case .unit(let unit) where unit.track == .video && unit.isKeyframe:
            let old = state.withLock { s -> (LiveStream, ReaderQueue?)? in
                guard let p = s.pending, p.reader === reader, !s.closed else { return nil }
                let old = (s.current, s.video)
                s.current = p.stream
                s.video = reader
                if !p.parameterSets.isEmpty { s.parameterSets = p.parameterSets }
                s.pending = nil
                s.waitingForKeyframe = false
                s.moves += 1
                return old
            }
            guard let (stream, previous) = old else { return false }
            if let previous { stream.unsubscribe(previous) }
            logger.debug("whep viewer moved", metadata: ["session": "\(id)", "from": "\(stream.path)"])
            return true
        default:
            return false
        }
    }

    /// Receiver reports → the rung policy (loss, round trip).
    private func adapt(_ blocks: [RTCPReportBlock]) {
        guard let v = negotiated.video, let block = blocks.first(where: { $0.ssrc == v.ssrc }) else { return }
        let rtt = RTCP.roundTripSeconds(block, nowNTP: TrackClock.ntp(micros: WallClock.nowMicros()))
            .map { Duration.microseconds(Int64(min($0, 3600) * 1e6)) }
        state.withLock { s in
            s.fractionLost = block.fractionLost
            if let rtt { s.rtt = rtt }
        }
        decide(reason: "loss \(block.fractionLost)/256") { policy, current, needs, now in
            policy.report(fractionLost: block.fractionLost, rtt: rtt, now: now, current: current, count: needs.count, needs: needs.known)
        }
    }

    /// A bandwidth estimate (REMB) → the rung policy.
    private func adapt(estimate: Int) {
        state.withLock { $0.estimate = estimate }
        let sent = state.withLock { $0.sent }
        decide(reason: "estimate \(estimate / 1000) kbit/s, sent \((sent ?? 0) / 1000) kbit/s") { policy, current, needs, now in
            policy.estimate(bitsPerSecond: estimate, sent: sent, now: now, current: current, needs: needs.known)
        }
    }

    /// What the ladder's rungs cost on the wire (`needs`), and how many there are.
    struct Needs {
        var count: Int
        var known: [Int]?
    }

    /// Runs the policy; a move starts reading the target rung from its next keyframe (asked for
    /// at once). Only when the viewer did not name a rendition, and not while a move is under way.
    private func decide(reason: String, _ body: (inout WHEPRungPolicy, Int, Needs, ContinuousClock.Instant) -> WHEPRungPolicy.Decision) {
        guard source.adaptive else { return }
        let ladder = source.ladder()
        let withAudio = state.withLock { $0.audioPacketizer != nil }
        let needs = Needs(count: ladder.count, known: Self.needs(ladder, audio: withAudio ? source.audio : nil))
        let now = ContinuousClock.now
        let target = state.withLock { s -> (LiveStream, down: Bool)? in
            guard !s.closed, s.pending == nil, let i = ladder.firstIndex(where: { $0 === s.current }) else { return nil }
            guard case .move(let to) = body(&s.policy, i, needs, now), ladder.indices.contains(to), to != i else { return nil }
            if to > i { s.movesDown += 1 } else { s.movesUp += 1 }
            return (ladder[to], to > i)
        }
        guard let (target, down) = target,
              let reader = target.subscribe(capacity: Self.readerCapacity, byteCapacity: Self.readerBytes, fromNextKeyframe: true) else { return }
        let started = state.withLock { s -> Bool in
            guard !s.closed, s.pending == nil else { return false }
            s.pending = (target, reader, [])
            return true
        }
        guard started else {
            target.unsubscribe(reader)
            return
        }
        logger.info("whep viewer moves \(down ? "down" : "up")", metadata: ["session": "\(id)", "to": "\(target.path)", "why": "\(reason)"])
        arm(reader, isVideo: true)
        requestKeyframe()
        publishStatus()
    }

    /// Each rung's video bitrate plus the audio's, plus ~10 % for RTP, SRTP and UDP/IP headers;
    /// nil when a rung does not say its bitrate.
    static func needs(_ ladder: [LiveStream], audio: LiveStream?) -> [Int]? {
        let audioBits = audio.map { $0.tracks.first { $0.kind == .audio }?.bitrate ?? 96_000 } ?? 0
        var out: [Int] = []
        for rung in ladder {
            guard let bits = rung.tracks.first(where: { $0.kind == .video })?.bitrate, bits > 0 else { return nil }
            out.append((bits + audioBits) / 10 * 11)
        }
        return out
    }

    /// This viewer in its stream's players (`GET /api/v1/streams`): the rung, the moves, the
    /// skips and the signals they came from.
    private func publishStatus() {
        guard let home = source.hub.stream(source.path) else { return }
        // Under the session's lock, so no report lands after the one that says it left.
        state.withLock { s in
            guard !s.closed else { return }
            var p = PlayerStatus(transport: "webrtc", rendition: s.current.path.split(separator: "/").last.map(String.init) ?? s.current.path)
            p.movesDown = s.movesDown
            p.movesUp = s.movesUp
            p.keyframeSkips = s.keyframeSkips
            p.estimateKbps = s.estimate.map { $0 / 1000 }
            p.lossPercent = s.fractionLost.map { (Double($0) / 2.56).rounded() }
            p.rttMs = s.rtt.map { Int($0 / .milliseconds(1)) }
            p.sentKbps = s.sent.map { $0 / 1000 }
            p.state = s.pc?.stats.state.rawValue
            home.reportPlayer(playerID, p)
        }
    }

    private func sendVideo(_ unit: MediaUnit, reader: ReaderQueue) {
        var firstFrame: (connected: Duration, sent: Duration)?
        let out = state.withLock { s -> (PeerConnection, [[UInt8]])? in
            guard let pc = s.pc, !s.closed, var packetizer = s.videoPacketizer else { return nil }
            if s.waitingForKeyframe {
                guard unit.isKeyframe else { return nil }
                s.waitingForKeyframe = false
            }
            guard var nalus = Self.nalus(unit) else { return nil }
            if unit.isKeyframe, !nalus.contains(where: { ($0.first ?? 0) & 0x1F == 7 }) { nalus = s.parameterSets + nalus }
            let ts = s.videoClock.timestamp(unit)
            var packets = packetizer.packetize(nalus: nalus, timestamp: ts, firstPacketExtensions: frameExtensions,
                                               everyPacketExtensions: sendTimeSlot.map { [$0] } ?? [])
            s.videoPacketizer = packetizer
            if let slot = sendTimeSlot { // send time, written in place before history shares the packets
                let nanos = DispatchTime.now().uptimeNanoseconds
                for i in packets.indices { _ = AbsSendTime.stamp(&packets[i], id: slot.id, nanos: nanos) }
            }
            for p in packets where p.count >= 4 { s.history.store(seq: UInt16(p[2]) << 8 | UInt16(p[3]), packet: p) }
            s.videoClock.sent(packets)
            s.framesSent += 1
            if s.framesSent == 1, let connected = s.connected { firstFrame = (connected - s.created, .now - s.created) }
            return (pc, packets)
        }
        guard let (pc, packets) = out else { return }
        if let (connected, sent) = firstFrame {
            logger.info("whep viewer's first frame", metadata: ["session": "\(id)", "connected_ms": "\(connected / .milliseconds(1))",
                                                                "first_frame_ms": "\(sent / .milliseconds(1))"])
        }
        for p in packets where !pc.sendRTP(sendTimeSlot == nil ? stamped(p) : p) { // stamped: a two-byte id, rare
            // The socket's queue is full: this frame is broken; resume clean at the next keyframe.
            let skipped = reader.skipToKeyframe()
            state.withLock { s in
                s.waitingForKeyframe = true
                s.framesSkipped += 1 + skipped
                s.keyframeSkips += 1
            }
            requestKeyframe()
            return
        }
    }

    /// A retransmitted video packet with abs-send-time set to now, when negotiated (the browser's
    /// REMB estimator then sees when it left, not when it was captured).
    private func stamped(_ packet: [UInt8]) -> [UInt8] {
        guard let id = negotiated.video?.absSendTimeExtensionID else { return packet }
        let nanos = DispatchTime.now().uptimeNanoseconds
        var copy = packet
        if AbsSendTime.stamp(&copy, id: id, nanos: nanos) { return copy }
        return RTPHeader.settingExtension(in: packet, id: id, data: AbsSendTime.data(nanos: nanos)) ?? packet
    }

    private func sendAudio(_ unit: MediaUnit) {
        let out = state.withLock { s -> (PeerConnection, [UInt8])? in
            guard let pc = s.pc, !s.closed, !s.waitingForKeyframe, var packetizer = s.audioPacketizer else { return nil }
            let ts = s.audioClock.timestamp(unit)
            let packet = packetizer.packetize(frame: Array(unit.data.readableBytesView), timestamp: ts)
            s.audioPacketizer = packetizer
            s.audioClock.sent([packet])
            return (pc, packet)
        }
        guard let (pc, packet) = out else { return }
        _ = pc.sendRTP(packet) // a lost audio frame is concealed by the decoder
    }

    private func sendReports() {
        let now = WallClock.nowMicros()
        let tick = ContinuousClock.now
        let bytes = state.withLock { $0.pc }?.stats.bytesSent ?? 0
        let out = state.withLock { s -> (PeerConnection, [[UInt8]])? in
            guard let pc = s.pc, !s.closed else { return nil }
            if let last = s.lastSent, tick > last.at {
                let rate = Int(Double(max(0, bytes - last.bytes) * 8) / ((tick - last.at) / .seconds(1)))
                s.sent = s.sent.map { ($0 + rate) / 2 } ?? rate
            }
            s.lastSent = (bytes, tick)
            var reports: [[UInt8]] = []
            if let v = negotiated.video, let r = s.videoClock.report(ssrc: v.ssrc, nowMicros: now) { reports.append(r) }
            if let a = negotiated.audio, s.audioPacketizer != nil, let r = s.audioClock.report(ssrc: a.ssrc, nowMicros: now) {
                reports.append(r)
            }
            return (pc, reports)
        }
        guard let (pc, reports) = out else { return }
        for r in reports { _ = pc.sendRTCP(r) }
        publishStatus()
    }

    private func stop(reason: String, closePeer: Bool) {
        let taken = state.withLock { s -> (PeerConnection?, ReaderQueue?, ReaderQueue?, RepeatedTask?, LiveStream)? in
            guard !s.closed else { return nil }
            s.closed = true
            if let p = s.pending { p.stream.unsubscribe(p.reader) }
            defer { s.video = nil; s.audio = nil; s.reports = nil; s.pending = nil }
            return (s.pc, s.video, s.audio, s.reports, s.current)
        }
        guard let (pc, video, audio, reports, current) = taken else { return }
        reports?.cancel()
        if let video { current.unsubscribe(video) }
        if let audio { source.audio?.unsubscribe(audio) }
        if closePeer { pc?.close(reason: reason) }
        source.hub.stream(source.path)?.reportPlayer(playerID, nil)
        let counts = state.withLock { ($0.framesSent, $0.framesSkipped, $0.moves, $0.resendBudget.refused) }
        logger.info("whep viewer left", metadata: ["session": "\(id)", "reason": "\(reason)", "frames": "\(counts.0)",
                                                   "skipped": "\(counts.1)", "rung-moves": "\(counts.2)",
                                                   "nacked-not-resent": "\(counts.3)"])
        onClose(id)
    }

    // MARK: H.264

    /// The NAL units of an AVCC access unit (4-byte lengths), access unit delimiters left out.
    static func nalus(_ unit: MediaUnit) -> [[UInt8]]? {
        guard let units = NALUnits.splitLengthPrefixed(unit.data.readableBytesView) else { return nil }
        return units.filter { NALUnits.h264Type($0) != 9 && !$0.isEmpty }.map(Array.init)
    }

    /// SPS and PPS from a track's avcC, sent before each keyframe that does not carry them.
    static func parameterSets(_ track: TrackInfo) -> [[UInt8]] {
        guard track.codec == .h264, let extradata = track.extradata,
              let avcC = AVCDecoderConfigurationRecord(bytes: extradata.readableBytesView) else { return [] }
        return avcC.sps + avcC.pps
    }
}

/// One track's RTP clock: media time → RTP timestamps (random start, continuous across a
/// new publisher), and what a sender report needs.
struct TrackClock {
    let rate: Int64
    private var offset = Int64(UInt32.random(in: 0...UInt32.max))
    private var last: (rtp: Int64, wallClock: Int64)?
    private var needsRebase = false
    private(set) var packets: UInt32 = 0
    private(set) var octets: UInt32 = 0

    init(rate: Int64) { self.rate = rate }

    mutating func rebase() { needsRebase = true }

    mutating func timestamp(_ unit: MediaUnit) -> UInt32 {
        let media = unit.timebase.rescale(unit.pts, to: Rational(1, Int32(rate)))
        if needsRebase, let last {
            // Continue one frame after the last timestamp sent.
            offset = last.rtp &+ rate / 30 &- media // RTP time is modulo 2^32: wrapping is right
            needsRebase = false
        }
        let rtp = media &+ offset
        last = (rtp, unit.ingestWallClock)
        return UInt32(truncatingIfNeeded: rtp)
    }

    mutating func sent(_ rtp: [[UInt8]]) {
        packets &+= UInt32(truncatingIfNeeded: rtp.count)
        // Payload octets: the 12-byte header (and any extension) left out roughly; close enough for stats.
        octets &+= UInt32(truncatingIfNeeded: rtp.reduce(0) { $0 + max(0, $1.count - 12) })
    }

    /// A sender report mapping now (wall clock) to this track's RTP time, through the ingest
    /// wall clock of the last unit sent (the same clock for audio and video: lip sync).
    func report(ssrc: UInt32, nowMicros: Int64) -> [UInt8]? {
        guard let last else { return nil }
        // Media whose wall clock is not this server's (synthetic, or far off): report the last time sent.
        let elapsed = nowMicros &- last.wallClock
        let rtp = abs(elapsed) < 3_600_000_000 ? last.rtp &+ elapsed * rate / 1_000_000 : last.rtp
        return RTCP.senderReport(ssrc: ssrc, ntp: Self.ntp(micros: nowMicros), rtpTimestamp: UInt32(truncatingIfNeeded: rtp),
                                 packets: packets, octets: octets)
    }

    /// NTP 32.32 fixed point from µs since the Unix epoch.
    static func ntp(micros: Int64) -> UInt64 {
        let seconds = UInt64(max(0, micros / 1_000_000)) + 2_208_988_800
        let fraction = UInt64(max(0, micros % 1_000_000)) << 32 / 1_000_000
        return seconds << 32 | fraction
    }
}
