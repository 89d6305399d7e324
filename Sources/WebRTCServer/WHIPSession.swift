import Bitstream
import Foundation
import Logging
import MediaCore
import NIOCore
import StreamHub
import Synchronization
import WebRTC

/// One WHIP publisher: the peer's H.264 and Opus RTP → a hub publisher, so the stream is
/// transcoded and packaged like an RTMP or SRT one (Opus is decoded by the ladder's audio
/// thread and encoded to AAC for HLS). Runs on the transport's event loop: depacketizing is
/// cheap and the hub never blocks.
final class WHIPSession: MediaSession, Sendable {
    let id: String
    private let negotiated: NegotiatedSession
    private let logger: Logger
    private let onClose: @Sendable (String) -> Void
    private let state = Mutex(State())

    /// Opus in RTP (RFC 7587) is always 48 kHz; Sluice asks for stereo (`sprop-stereo`) but a mono stream decodes the same.
    static let opusTrack = TrackInfo(codec: .opus, timebase: Rational(1, 48_000), extradata: ByteBuffer(bytes: opusHead(channels: 2)),
                                     sampleRate: 48_000, channels: 2)

    struct State {
        var pc: PeerConnection?
        var publisher: Publisher?
        var depacketizer = H264Depacketizer()
        var sps: [UInt8]?
        var pps: [UInt8]?
        var video: TrackInfo?
        var tracksSent = false
        var videoTime = RTPTime(rate: 90_000)
        var audioTime = RTPTime(rate: 48_000)
        var sawKeyframe = false
        var lastPLI: ContinuousClock.Instant?
        var closed = false
        var units = 0
        /// The publisher's video SSRC, from its packets (for PLI).
        var videoSSRC: UInt32 = 0
        /// Media time 0: when the session was made (timestamps start near 0, as RTMP's do).
        var origin = WallClock.nowMicros()
        /// Transport-wide feedback to the publisher (when it negotiated transport-cc).
        var feedback = TransportFeedbackRecorder()
        var lastFeedback: Int64 = 0
    }

    /// How often transport-wide feedback goes back to the publisher (libwebrtc's own receivers
    /// send it every 50–250 ms; GCC reacts within a few of them).
    static let feedbackIntervalMicros: Int64 = 50_000

    /// The transport-wide sequence extension's id, when the publisher negotiated transport-cc.
    private var transportSequenceID: UInt8? {
        for track in [negotiated.video, negotiated.audio].compactMap({ $0 }) where track.transportCC {
            if let id = track.transportCCExtensionID { return id }
        }
        return nil
    }

    init(id: String, negotiated: NegotiatedSession, logger: Logger, onClose: @escaping @Sendable (String) -> Void) {
        self.id = id
        self.negotiated = negotiated
        self.logger = logger
        self.onClose = onClose
    }

    /// The hub publisher this session writes (set before the peer is registered).
    func attach(_ publisher: Publisher, remote: String) {
        publisher.describe(PublisherInfo(transport: "whip", remote: remote), stop: { [weak self] reason in self?.close(reason: reason) })
        state.withLock { $0.publisher = publisher }
        // Audio-only publishers: the tracks are known from the SDP alone.
        if negotiated.video == nil, negotiated.audio != nil {
            publisher.setTracks([Self.opusTrack])
            state.withLock { $0.tracksSent = true }
        }
    }

    func registered(_ pc: PeerConnection) {
        state.withLock { $0.pc = pc }
    }

    func peerConnected(_ pc: PeerConnection) {
        askForKeyframe(pc)
    }

    func peer(_ pc: PeerConnection, receivedRTCP packets: [RTCPPacket]) {
        for packet in packets {
            if case .bye = packet { close(reason: "the publisher said BYE") }
        }
    }

    func peer(_ pc: PeerConnection, receivedRTP packet: [UInt8]) {
        guard let payloadType = RTPPayload.payloadType(packet) else { return }
        if let id = transportSequenceID { acknowledge(packet, extensionID: id, pc: pc) }
        if let v = negotiated.video, payloadType == v.payloadType {
            receiveVideo(packet, pc: pc)
        } else if let a = negotiated.audio, payloadType == a.payloadType {
            receiveAudio(packet)
        }
    }

    func peerClosed(_ pc: PeerConnection, reason: String) {
        stop(reason: reason, closePeer: false)
    }

    func close(reason: String) {
        stop(reason: reason, closePeer: true)
    }

    private func receiveVideo(_ packet: [UInt8], pc: PeerConnection) {
        let now = WallClock.nowMicros()
        let result = state.withLock { s -> (Publisher, [TrackInfo]?, MediaUnit?)? in
            guard !s.closed, let publisher = s.publisher else { return nil }
            s.videoSSRC = RTPPayload.ssrc(packet) ?? s.videoSSRC
            guard let frame = s.depacketizer.push(rtp: packet) else { return nil }
            var nalus: [[UInt8]] = []
            var changed = false
            for nal in frame.nalus where !nal.isEmpty {
                switch nal[0] & 0x1F {
                case 7: if s.sps != nal { s.sps = nal; changed = true }
                case 8: if s.pps != nal { s.pps = nal; changed = true }
                case 9: continue
                default: break
                }
                nalus.append(nal)
            }
            var tracks: [TrackInfo]?
            if changed, let sps = s.sps, let pps = s.pps {
                let avcC = AVCDecoderConfigurationRecord(sps: [sps], pps: [pps])
                let parsed = try? H264SPS(nal: sps)
                let video = TrackInfo(codec: .h264, timebase: Rational(1, 90_000), extradata: ByteBuffer(bytes: avcC.bytes),
                                      width: parsed?.width ?? 0, height: parsed?.height ?? 0)
                s.video = video
                tracks = [video] + (negotiated.audio != nil ? [Self.opusTrack] : [])
                s.tracksSent = true
            }
            let keyframe = frame.keyframe || nalus.contains { $0[0] & 0x1F == 5 }
            guard s.video != nil, s.sawKeyframe || keyframe, !nalus.isEmpty else { return (publisher, tracks, nil) }
            s.sawKeyframe = true
            let pts = (s.videoTime.micros(frame.timestamp, now: now) - s.origin) * 9 / 100 // µs → 1/90000
            var data = ByteBuffer()
            data.reserveCapacity(nalus.reduce(0) { $0 + 4 + $1.count })
            for nal in nalus {
                data.writeInteger(UInt32(truncatingIfNeeded: nal.count))
                data.writeBytes(nal)
            }
            s.units += 1
            let unit = MediaUnit(track: .video, pts: pts, dts: pts, timebase: Rational(1, 90_000), isKeyframe: keyframe,
                                 data: data, ingestWallClock: now)
            return (publisher, tracks, unit)
        }
        guard let (publisher, tracks, unit) = result else { return }
        if let tracks { publisher.setTracks(tracks) }
        if let unit { publisher.write(unit) } else { askForKeyframe(pc) }
    }

    private func receiveAudio(_ packet: [UInt8]) {
        guard let (payload, timestamp) = RTPPayload.payload(packet), !payload.isEmpty else { return }
        let now = WallClock.nowMicros()
        let out = state.withLock { s -> (Publisher, MediaUnit)? in
            // Audio waits for the video's first keyframe (when there is video): the stream starts clean.
            guard !s.closed, let publisher = s.publisher, s.tracksSent, negotiated.video == nil || s.sawKeyframe else { return nil }
            let pts = (s.audioTime.micros(timestamp, now: now) - s.origin) * 48 / 1000 // µs → 1/48000
            s.units += 1
            return (publisher, MediaUnit(track: .audio, pts: pts, dts: pts, timebase: Rational(1, 48_000), isKeyframe: true,
                                         data: ByteBuffer(bytes: payload), ingestWallClock: now))
        }
        guard let (publisher, unit) = out else { return }
        publisher.write(unit)
    }

    /// Records the packet's transport-wide sequence number and, every `feedbackIntervalMicros`,
    /// reports what arrived: the publisher's congestion controller runs on this feedback.
    private func acknowledge(_ packet: [UInt8], extensionID: UInt8, pc: PeerConnection) {
        guard let (header, _) = try? RTPHeader.parse(packet), let data = header.extensionData(id: extensionID), data.count >= 2 else { return }
        let now = WallClock.nowMicros()
        let sender = negotiated.video?.ssrc ?? negotiated.audio?.ssrc ?? 0
        let out = state.withLock { s -> [UInt8]? in
            guard !s.closed else { return nil }
            s.feedback.record(sequence: UInt16(data[0]) << 8 | UInt16(data[1]), arrivalMicros: now)
            guard now - s.lastFeedback >= Self.feedbackIntervalMicros else { return nil }
            s.lastFeedback = now
            return s.feedback.feedback(senderSSRC: sender, mediaSSRC: header.ssrc)
        }
        if let out { _ = pc.sendRTCP(out) }
    }

    /// PLI until the first keyframe arrives (at most one a second).
    private func askForKeyframe(_ pc: PeerConnection) {
        guard let v = negotiated.video else { return }
        let now = ContinuousClock.now
        let ssrc = state.withLock { s -> UInt32? in
            guard !s.sawKeyframe, s.lastPLI.map({ now - $0 >= .seconds(1) }) ?? true else { return nil }
            s.lastPLI = now
            return s.videoSSRC
        }
        if let ssrc { _ = pc.sendRTCP(RTCP.pli(senderSSRC: v.ssrc, mediaSSRC: ssrc)) }
    }

    private func stop(reason: String, closePeer: Bool) {
        let taken = state.withLock { s -> (PeerConnection?, Publisher?, Int)? in
            guard !s.closed else { return nil }
            s.closed = true
            defer { s.publisher = nil }
            return (s.pc, s.publisher, s.units)
        }
        guard let (pc, publisher, units) = taken else { return }
        publisher?.end()
        if closePeer { pc?.close(reason: reason) }
        logger.info("whip publisher left", metadata: ["session": "\(id)", "reason": "\(reason)", "units": "\(units)"])
        onClose(id)
    }

    /// An OpusHead (RFC 7845 §5.1) for the hub's track: what FFmpeg's decoder reads.
    static func opusHead(channels: UInt8) -> [UInt8] {
        var b = Array("OpusHead".utf8)
        b += [1, channels]
        b += [0x38, 0x01] // pre-skip 312, little-endian
        b += [0x80, 0xBB, 0x00, 0x00] // 48000 Hz
        b += [0, 0, 0] // gain 0, mapping family 0
        return b
    }
}

/// A received track's RTP timestamps → µs on the ingest wall clock: the first packet is
/// anchored at its arrival, later ones follow their RTP time (unwrapped), so audio and video
/// of one peer line up to within the network's jitter.
struct RTPTime {
    let rate: Int64
    private var first: (rtp: Int64, micros: Int64)?
    private var last: Int64 = 0

    /// How far a track's RTP time may run from its arrival time (µs) before it is re-anchored.
    static let maxDrift = 30e6

    init(rate: Int64) { self.rate = rate }

    mutating func micros(_ timestamp: UInt32, now: Int64) -> Int64 {
        // Unwrap against the last timestamp: the nearest 32-bit neighbour.
        let delta = Int64(Int32(bitPattern: timestamp &- UInt32(truncatingIfNeeded: last)))
        let rtp = first == nil ? Int64(timestamp) : last &+ delta
        last = rtp
        guard let first else {
            self.first = (rtp, now)
            return now
        }
        // A sender's clock that jumps (or runs far from real time) is re-anchored at this arrival
        // instead of carrying the jump, or overflowing, into the stream's timestamps.
        let micros = Double(first.micros) + Double(rtp &- first.rtp) * 1e6 / Double(rate)
        guard micros.isFinite, abs(micros - Double(now)) < Self.maxDrift else {
            self.first = (rtp, now)
            return now
        }
        return Int64(micros)
    }
}

/// The payload type and payload of an RTP packet (RFC 3550 §5.1), read without trusting it.
enum RTPPayload {
    static func payloadType(_ p: [UInt8]) -> UInt8? {
        guard p.count >= 12, p[0] >> 6 == 2 else { return nil }
        return p[1] & 0x7F
    }

    static func ssrc(_ p: [UInt8]) -> UInt32? {
        guard p.count >= 12 else { return nil }
        return UInt32(p[8]) << 24 | UInt32(p[9]) << 16 | UInt32(p[10]) << 8 | UInt32(p[11])
    }

    static func payload(_ p: [UInt8]) -> ([UInt8], UInt32)? {
        guard p.count >= 12, p[0] >> 6 == 2 else { return nil }
        var start = 12 + Int(p[0] & 0x0F) * 4
        if p[0] & 0x10 != 0 {
            guard p.count >= start + 4 else { return nil }
            start += 4 + (Int(p[start + 2]) << 8 | Int(p[start + 3])) * 4
        }
        var end = p.count
        if p[0] & 0x20 != 0, let pad = p.last { end -= Int(pad) }
        guard start <= end else { return nil }
        let ts = UInt32(p[4]) << 24 | UInt32(p[5]) << 16 | UInt32(p[6]) << 8 | UInt32(p[7])
        return (Array(p[start..<end]), ts)
    }
}
