import Dispatch
import Bitstream
import Foundation
import MediaCore
import NIOCore
import RTMP

/// A minimal RTMP publish client on our own TCP socket: handshake, connect, createStream,
/// publish, then FLV tags as RTMP messages (the chunk encoder, AMF0 and FLV packets of the
/// RTMP module). Media writes are non-blocking; while the link is full the sender keeps
/// sampling TCP_INFO (RTT, delivery rate) and SIOCOUTQ (bytes not yet acknowledged).
public final class RTMPUplink: UplinkTransport {
    private let connection: TCPConnection
    private var encoder = RTMPChunkEncoder()
    private var decoder = RTMPChunkDecoder()
    private var inbound = ByteBuffer()
    private var outgoing = ByteBuffer()
    private var streamID: UInt32 = 0
    private let audio: TrackInfo?
    private var sentBytes = 0
    private var origin: Int64?
    private var sps: [UInt8]?
    private var started = false
    private var acks = AckClock(window: RTMPUplink.ackWindow)
    private let opened = RTMPUplink.clock
    public let description: String
    /// The Window Acknowledgement Size we ask of the server: small, so its acknowledgements time
    /// the path finely, several times within a frame interval even at 300 kbit/s (an ack is
    /// 16 bytes; ~150 a second at 2.5 Mbit/s).
    public static let ackWindow = 2048

    /// `rtmp://host[:port]/app[/more]/stream[?query]`: the last path element is the stream name.
    public init(url: String, audio: TrackInfo?) throws {
        guard let parts = URLComponents(string: url), parts.scheme?.lowercased() == "rtmp",
              let host = parts.host, !host.isEmpty else {
            throw UplinkError("not an rtmp://host/app/stream URL: \(url)")
        }
        let port = parts.port ?? 1935
        let path = parts.path.split(separator: "/", omittingEmptySubsequences: true)
        guard path.count >= 2 else { throw UplinkError("the RTMP URL needs an app and a stream name: \(url)") }
        let app = path.dropLast().joined(separator: "/")
        let name = String(path.last!) + (parts.percentEncodedQuery.map { "?" + $0 } ?? "")
        self.audio = audio
        description = "rtmp://\(host):\(port)/\(app)/\(name)"
        connection = try TCPConnection(host: host, port: port)
        try handshake()
        encode(RTMPControlMessages.setChunkSize(4096))
        encode(RTMPControlMessages.windowAckSize(UInt32(Self.ackWindow)))
        encode(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
            AMFProperty("app", .string(app)), AMFProperty("type", .string("nonprivate")),
            AMFProperty("flashVer", .string("FMLE/3.0 (compatible; Sluice)")),
            AMFProperty("tcUrl", .string("rtmp://\(host):\(port)/\(app)")),
        ])).message(streamID: 0))
        try connection.writeAll(takeOutgoing())
        let connected = try reply(to: 1)
        guard connected.name == "_result" else { throw Self.refusal("connect", connected) }
        encode(RTMPCommand(name: "createStream", transactionID: 2).message(streamID: 0))
        try connection.writeAll(takeOutgoing())
        let created = try reply(to: 2)
        guard created.name == "_result", let id = created.arguments.first?.number, id >= 0, id < 1e6 else {
            throw Self.refusal("createStream", created)
        }
        streamID = UInt32(id)
        encode(RTMPCommand(name: "publish", transactionID: 3, arguments: [.string(name), .string("live")])
            .message(streamID: streamID, chunkStreamID: 8))
        try connection.writeAll(takeOutgoing())
        let status = try awaitCommand { $0.name == "onStatus" || $0.name == "_error" }
        let code = status.arguments.first?["code"]?.string ?? status.name
        guard code == "NetStream.Publish.Start" else { throw Self.refusal("publish", status) }
        // Keep the queue in our hands (measurable, droppable), not in the kernel's buffer.
        connection.limitUnsent(16 * 1024)
    }

    static func refusal(_ step: String, _ reply: RTMPCommand) -> UplinkError {
        let info = reply.arguments.first
        let text = [info?["code"]?.string, info?["description"]?.string].compactMap { $0 }.joined(separator: ": ")
        return UplinkError("the server refused \(step)\(text.isEmpty ? " (\(reply.name))" : ": \(text)")")
    }

    private func handshake() throws {
        var c0c1 = ByteBuffer(bytes: [3])
        c0c1.writeInteger(UInt32(0))
        c0c1.writeInteger(UInt32(0))
        c0c1.writeBytes((0..<1528).map { _ in UInt8.random(in: 0...255) })
        try connection.writeAll(c0c1)
        let deadline = Date().addingTimeInterval(5)
        while inbound.readableBytes < 1 + 1536 + 1536 {
            guard Date() < deadline else { throw UplinkError("no RTMP handshake reply (is it an RTMP server?)") }
            guard try connection.read(into: &inbound, timeoutMs: 100) else {
                throw UplinkError("the server closed the connection during the RTMP handshake")
            }
        }
        guard inbound.readInteger(as: UInt8.self) == 3, let s1 = inbound.readSlice(length: 1536) else {
            throw UplinkError("bad RTMP handshake reply")
        }
        inbound.moveReaderIndex(forwardBy: 1536) // S2
        try connection.writeAll(s1) // C2 echoes S1
    }

    private func encode(_ message: RTMPMessage) {
        encoder.encode(message, into: &outgoing)
    }

    private func takeOutgoing() -> ByteBuffer {
        defer { outgoing.clear() }
        return outgoing
    }

    private func reply(to transaction: Double) throws -> RTMPCommand {
        try awaitCommand { ($0.name == "_result" || $0.name == "_error") && $0.transactionID == transaction }
    }

    /// Reads messages until a command matches (5 s at most); answers nothing else.
    private func awaitCommand(_ matches: (RTMPCommand) -> Bool) throws -> RTMPCommand {
        let deadline = Date().addingTimeInterval(5)
        while true {
            while let message = try decoder.decode(buffer: &inbound) {
                guard message.type == .amf0Command || message.type == .amf3Command else { continue }
                let command = try RTMPCommand(message: message)
                if matches(command) { return command }
            }
            guard Date() < deadline else { throw UplinkError("the RTMP server did not answer") }
            guard try connection.read(into: &inbound, timeoutMs: 100) else {
                throw UplinkError("the RTMP server closed the connection")
            }
        }
    }

    public func send(_ unit: UplinkUnit, idle: () -> Void) throws {
        switch unit.kind {
        case .video:
            let nals = NALUnits.splitAnnexB(unit.data)
            if unit.isKeyframe, let s = nals.first(where: { NALUnits.h264Type($0) == 7 }), Array(s) != sps,
               let p = nals.first(where: { NALUnits.h264Type($0) == 8 }) {
                // First keyframe, or new parameter sets: (new) metadata and sequence header.
                sps = Array(s)
                if !started { origin = unit.dts }
                encode(metadata(unit))
                let record = AVCDecoderConfigurationRecord(sps: [Array(s)], pps: [Array(p)])
                encode(media(.video, FLVVideoPacket.sequenceStart(.h264, config: ByteBuffer(bytes: record.bytes)).serialize(), unit.dts))
                if let config = audio?.extradata, !started {
                    encode(media(.audio, FLVAudioPacket.aacSequenceHeader(config).serialize(), unit.dts))
                }
                started = true
            }
            guard started else { return }
            // Parameter sets travel in the sequence header; AUDs mean nothing in FLV.
            let payload = NALUnits.joinLengthPrefixed(nals.filter { ![7, 8, 9].contains(NALUnits.h264Type($0) ?? 0) })
            let packet = FLVVideoPacket.frame(.h264, keyframe: unit.isKeyframe, compositionTime: Int32(clamping: (unit.pts - unit.dts) / 1000),
                                              data: ByteBuffer(bytes: payload))
            encode(media(.video, packet.serialize(), unit.dts))
        case .audio:
            guard started, audio != nil else { return }
            encode(media(.audio, FLVAudioPacket.aacFrame(ByteBuffer(bytes: unit.data)).serialize(), unit.dts))
        }
        try flush(idle: idle)
    }

    private func media(_ type: RTMPMessageType, _ payload: ByteBuffer, _ dts: Int64) -> RTMPMessage {
        let ms = max(0, (dts - (origin ?? dts)) / 1000)
        return RTMPMessage(chunkStreamID: type == .video ? RTMPChunkStreamID.video : RTMPChunkStreamID.audio,
                           type: type, streamID: streamID, timestamp: UInt32(truncatingIfNeeded: ms), payload: payload)
    }

    private func metadata(_ unit: UplinkUnit) -> RTMPMessage {
        var props = [AMFProperty("width", .number(Double(unit.width))), AMFProperty("height", .number(Double(unit.height))),
                     AMFProperty("videocodecid", .number(7)), AMFProperty("encoder", .string("Sluice push"))]
        if let audio {
            props += [AMFProperty("audiocodecid", .number(10)), AMFProperty("audiosamplerate", .number(Double(audio.sampleRate))),
                      AMFProperty("stereo", .boolean(audio.channels > 1))]
        }
        return RTMPMessage(chunkStreamID: RTMPChunkStreamID.data, type: .amf0Data, streamID: streamID, timestamp: 0,
                           payload: AMF0.encode([.string("@setDataFrame"), .string("onMetaData"), .ecmaArray(props)]))
    }

    private static var clock: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Writes what is pending as the socket takes it, calling `idle` while it waits.
    private func flush(idle: () -> Void) throws {
        while outgoing.readableBytes > 0 {
            sentBytes += try connection.writeSome(&outgoing)
            acks.wrote(total: connection.bytesWritten, at: Self.clock)
            if outgoing.readableBytes == 0 { break }
            if !(try connection.wait(events: Int16(POLLOUT), timeoutMs: 20)) { idle() }
            try drainInbound()
        }
        outgoing.discardReadBytes()
        try drainInbound()
    }

    /// The server's acknowledgements time the path; a close or an error status ends the push.
    private func drainInbound() throws {
        guard try connection.read(into: &inbound, timeoutMs: 0) else {
            throw UplinkError("the RTMP server closed the connection")
        }
        let now = Self.clock
        while let message = try decoder.decode(buffer: &inbound) {
            if message.type == .acknowledgement,
               let sequence = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self) {
                acks.acknowledged(sequence: sequence, at: now)
                continue
            }
            if message.type == .amf0Command, let command = try? RTMPCommand(message: message), command.name == "onStatus",
               let code = command.arguments.first?["code"]?.string, code.contains("Failed") || code.contains("Error") {
                throw UplinkError("the RTMP server stopped the stream: \(code)")
            }
        }
        inbound.discardReadBytes()
    }

    /// Acknowledgements that arrived while the sender was idle: timed now, not at the next
    /// sample. A closed connection shows at the next write.
    public func service() {
        try? drainInbound()
    }

    public func signals() -> TransportSignals {
        try? drainInbound()
        var s = TransportSignals()
        // Bytes handed to this transport, pending here or in the kernel (sent - queued = delivered).
        s.sentBytesTotal = sentBytes + outgoing.readableBytes
        s.queuedBytes = outgoing.readableBytes
        if let link = connection.link() {
            // The socket's RTT covers the first hop only: until the server's first
            // acknowledgement (or for a server that never sends any), report none for 3 s.
            if Self.clock - opened >= 3 { s.rttMs = Double(link.rtt_us) / 1000 }
            s.queuedBytes += Int(max(0, link.outq_bytes))
            s.deliveredBytesTotal = max(0, sentBytes - Int(max(0, link.outq_bytes)))
            // An app-limited estimate is our own send rate, not the path's capacity.
            s.deliveryRateKbps = link.delivery_rate_bytes_per_s > 0 && link.delivery_rate_app_limited == 0 ? Double(link.delivery_rate_bytes_per_s) * 8 / 1000 : nil
            s.retransmitsTotal = Int(link.total_retrans)
        }
        // With the server's acknowledgements: the end-to-end delay (the socket's RTT only covers
        // the first hop) and what reached the server.
        if let ackDelay = acks.delayMs(at: Self.clock) {
            s.rttMs = ackDelay
            s.ackedBytesTotal = acks.acked
            if let rate = acks.deliveryKbps(span: 0.25) { s.deliveryRateKbps = rate }
        }
        return s
    }

    public func finish() {
        if started {
            encode(RTMPCommand(name: "deleteStream", transactionID: 0, arguments: [.number(Double(streamID))]).message(streamID: 0))
            try? connection.writeAll(takeOutgoing(), timeoutMs: 500)
        }
        connection.close()
    }
}
