import NIOCore

/// The server side of one RTMP connection after the handshake: commands in, actions out.
///
/// Driven by which command arrives, never by a fixed order: OBS/FMLE send releaseStream,
/// FCPublish, createStream, publish; ffmpeg the same; Haivision createStream, FCPublish,
/// publish; Flash createStream, publish; some clients createStream twice.
public struct RTMPServerSession: Sendable {
    public static let windowAckSize: UInt32 = 2_500_000
    public static let outgoingChunkSize: UInt32 = 4096
    /// Message streams one connection may create: clients use one or two.
    public static let maxStreams = 8

    enum StreamState: Equatable { case created, publishPending(String), publishing(String), playPending(String), playing(String) }

    public private(set) var app: String?
    public private(set) var appQuery = ""
    public private(set) var tcUrl: String?
    private var streams: [UInt32: StreamState] = [:]
    private var nextStreamID: UInt32 = 1
    private var objectEncoding: Double = 0

    // Acknowledgements we owe the peer.
    private var peerWindow: UInt32 = 0
    private var bytesReceived: UInt64 = 0
    private var lastAckAt: UInt64 = 0

    public init() {}

    public var publishingStreams: [UInt32] {
        streams.compactMap { if case .publishing = $0.value { $0.key } else { nil } }.sorted()
    }

    /// Count bytes as they arrive on the socket (handshake included) for acknowledgements.
    public mutating func bytesReceived(_ n: Int) -> [RTMPSessionAction] {
        bytesReceived &+= UInt64(n)
        guard peerWindow > 0, bytesReceived - lastAckAt >= UInt64(peerWindow) else { return [] }
        lastAckAt = bytesReceived
        return [.send(RTMPControlMessages.acknowledgement(UInt32(truncatingIfNeeded: bytesReceived)))]
    }

    public mutating func received(_ message: RTMPMessage) throws -> [RTMPSessionAction] {
        switch message.type {
        case .setChunkSize, .abort, .acknowledgement, .setPeerBandwidth:
            return [] // the decoder applied framing changes; we do not throttle on peer bandwidth
        case .windowAckSize:
            if let size = message.payload.getInteger(at: message.payload.readerIndex, as: UInt32.self) { peerWindow = size }
            return []
        case .userControl:
            var p = message.payload
            guard let event = p.readInteger(as: UInt16.self) else { return [] }
            if event == RTMPControlMessages.UserControlEvent.pingRequest.rawValue, let ts = p.readInteger(as: UInt32.self) {
                return [.send(RTMPControlMessages.userControl(.pingResponse, ts))]
            }
            return []
        case .audio, .video, .amf0Data, .amf3Data:
            return isPublishing(message.streamID) ? [.media(message)] : []
        case .aggregate:
            guard isPublishing(message.streamID) else { return [] }
            return try RTMPAggregate.split(message).map { .media($0) }
        case .amf0Command, .amf3Command:
            return try command(RTMPCommand(message: message), streamID: message.streamID)
        case .amf0SharedObject, .amf3SharedObject, nil:
            return [] // not used by publishers or players we serve
        }
    }

    private func isPublishing(_ id: UInt32) -> Bool {
        if case .publishing = streams[id] { true } else { false }
    }

    mutating func command(_ cmd: RTMPCommand, streamID: UInt32) throws -> [RTMPSessionAction] {
        switch cmd.name {
        case "connect":
            return connect(cmd)
        case "createStream":
            guard streams.count < Self.maxStreams else {
                return [.send(RTMPCommand(name: "_error", transactionID: cmd.transactionID, commandObject: .null,
                                          arguments: [Self.info("error", "NetConnection.Call.Failed", "too many streams")])
                            .message(streamID: 0)),
                        .close(reason: "more than \(Self.maxStreams) createStream on one connection")]
            }
            let id = nextStreamID
            nextStreamID += 1
            streams[id] = .created
            return [reply(cmd, .null, .number(Double(id)))]
        case "releaseStream", "FCPublish":
            var out: [RTMPSessionAction] = []
            if cmd.transactionID != 0 { out.append(reply(cmd, .null, .undefined)) }
            if cmd.name == "FCPublish", let name = cmd.arguments.first?.string {
                // Echo a bounded name: a reply never grows with what the peer sent.
                out.append(.send(status(streamID: 0, command: "onFCPublish", "status", "NetStream.Publish.Start",
                                        String(decoding: name.utf8.prefix(256), as: UTF8.self))))
            }
            return out
        case "FCUnpublish":
            var out: [RTMPSessionAction] = []
            if cmd.transactionID != 0 { out.append(reply(cmd, .null, .undefined)) }
            // FCUnpublish names a stream, not an ID: stop whichever stream publishes that name.
            let name = cmd.arguments.first?.string.map { Self.splitQuery($0).0 }
            for (id, state) in streams {
                if case .publishing(let path) = state, name == nil || path.hasSuffix("/" + name!) {
                    streams[id] = .created
                    out.append(.stopPublishing(streamID: id))
                }
            }
            return out
        case "publish":
            guard let app else { return [.close(reason: "publish before connect")] }
            guard let raw = cmd.arguments.first?.string, !raw.isEmpty else {
                return [.send(status(streamID: streamID, "error", "NetStream.Publish.BadName", "no stream name")),
                        .close(reason: "publish without a stream name")]
            }
            let (name, query) = Self.splitQuery(raw)
            let path = app.isEmpty ? name : app + "/" + name
            streams[streamID] = .publishPending(path)
            return [.publish(streamID: streamID, path: path, query: Self.joinQuery(appQuery, query))]
        case "play":
            guard let app else { return [.close(reason: "play before connect")] }
            guard let raw = cmd.arguments.first?.string, !raw.isEmpty else {
                return [.send(status(streamID: streamID, "error", "NetStream.Play.StreamNotFound", "no stream name"))]
            }
            let (name, query) = Self.splitQuery(raw)
            let path = app.isEmpty ? name : app + "/" + name
            streams[streamID] = .playPending(path)
            return [.play(streamID: streamID, path: path, query: Self.joinQuery(appQuery, query))]
        case "deleteStream", "closeStream":
            let id = cmd.name == "deleteStream" ? cmd.arguments.first?.number.map { UInt32(clamping: $0.saturatingInt) } ?? streamID : streamID
            let out = stop(id)
            if cmd.name == "deleteStream" { streams[id] = nil } else if streams[id] != nil { streams[id] = .created }
            return out
        case "getStreamLength":
            return [reply(cmd, .null, .number(0))]
        case "_checkbw":
            return [reply(cmd, .null, .undefined)]
        case "_result", "_error", "onBWDone", "receiveAudio", "receiveVideo", "pause", "seek", "FCSubscribe", "FCUnsubscribe":
            return [] // harmless for a live server
        default:
            // Unknown: a client waiting on a transaction gets an error reply; nothing else changes.
            guard cmd.transactionID != 0 else { return [] }
            return [.send(RTMPCommand(name: "_error", transactionID: cmd.transactionID, commandObject: .null,
                                      arguments: [Self.info("error", "NetConnection.Call.Failed",
                                                                "unknown command \(String(decoding: cmd.name.utf8.prefix(64), as: UTF8.self))")])
                          .message(streamID: streamID))]
        }
    }

    private mutating func connect(_ cmd: RTMPCommand) -> [RTMPSessionAction] {
        var rawApp = cmd.commandObject["app"]?.string ?? ""
        while rawApp.hasSuffix("/") { rawApp.removeLast() }
        let (a, q) = Self.splitQuery(rawApp)
        app = a
        appQuery = q
        tcUrl = cmd.commandObject["tcUrl"]?.string
        objectEncoding = cmd.commandObject["objectEncoding"]?.number ?? 0
        let result = RTMPCommand(
            name: "_result", transactionID: cmd.transactionID,
            commandObject: .object([AMFProperty("fmsVer", .string("FMS/3,0,1,123")), AMFProperty("capabilities", .number(31))]),
            arguments: [.object([
                AMFProperty("level", .string("status")),
                AMFProperty("code", .string("NetConnection.Connect.Success")),
                AMFProperty("description", .string("Connection succeeded.")),
                AMFProperty("objectEncoding", .number(objectEncoding)),
            ])])
        return [
            .send(RTMPControlMessages.windowAckSize(Self.windowAckSize)),
            .send(RTMPControlMessages.setPeerBandwidth(Self.windowAckSize)),
            .send(RTMPControlMessages.setChunkSize(Self.outgoingChunkSize)),
            .send(result.message(streamID: 0)),
        ]
    }

    private mutating func stop(_ id: UInt32) -> [RTMPSessionAction] {
        switch streams[id] {
        case .publishing, .publishPending:
            streams[id] = .created
            return [.stopPublishing(streamID: id)]
        case .playing, .playPending:
            streams[id] = .created
            return [.stopPlaying(streamID: id)]
        default:
            return []
        }
    }

    // MARK: answers from the driver

    public mutating func publishAccepted(streamID: UInt32) -> [RTMPSessionAction] {
        guard case .publishPending(let path) = streams[streamID] else { return [] }
        streams[streamID] = .publishing(path)
        return [.send(status(streamID: streamID, "status", "NetStream.Publish.Start", "\(path) is now published."))]
    }

    public mutating func publishRejected(streamID: UInt32, code: String = "NetStream.Publish.Denied", reason: String) -> [RTMPSessionAction] {
        streams[streamID] = .created
        return [.send(status(streamID: streamID, "error", code, reason)), .close(reason: reason)]
    }

    /// The publisher was replaced by another connection publishing the same path.
    public mutating func publishEvicted(streamID: UInt32) -> [RTMPSessionAction] {
        publishStopped(streamID: streamID, reason: "another publisher took over the path")
    }

    /// The server stops the publisher (takeover, an operator's kick, shutdown): it is told why
    /// in an onStatus, then the connection closes.
    public mutating func publishStopped(streamID: UInt32, reason: String) -> [RTMPSessionAction] {
        guard case .publishing = streams[streamID] else { return [] }
        streams[streamID] = .created
        return [.send(status(streamID: streamID, "status", "NetStream.Unpublish.Success", reason)), .close(reason: reason)]
    }

    public mutating func playAccepted(streamID: UInt32) -> [RTMPSessionAction] {
        guard case .playPending(let path) = streams[streamID] else { return [] }
        streams[streamID] = .playing(path)
        var sampleAccess = ByteBufferAllocator().buffer(capacity: 32)
        AMF0.write([.string("|RtmpSampleAccess"), .boolean(true), .boolean(true)], into: &sampleAccess)
        return [
            .send(RTMPControlMessages.userControl(.streamBegin, streamID)),
            .send(status(streamID: streamID, "status", "NetStream.Play.Reset", "Playing and resetting \(path).")),
            .send(status(streamID: streamID, "status", "NetStream.Play.Start", "Started playing \(path).")),
            .send(RTMPMessage(chunkStreamID: RTMPChunkStreamID.data, type: .amf0Data, streamID: streamID, timestamp: 0, payload: sampleAccess)),
        ]
    }

    public mutating func playRejected(streamID: UInt32, code: String = "NetStream.Play.StreamNotFound", reason: String) -> [RTMPSessionAction] {
        streams[streamID] = .created
        return [.send(status(streamID: streamID, "error", code, reason))]
    }

    /// The stream being played ended (its publisher left).
    public mutating func playEnded(streamID: UInt32) -> [RTMPSessionAction] {
        guard case .playing = streams[streamID] else { return [] }
        streams[streamID] = .created
        return [.send(RTMPControlMessages.userControl(.streamEOF, streamID)),
                .send(status(streamID: streamID, "status", "NetStream.Play.UnpublishNotify", "stream ended"))]
    }

    // MARK: helpers

    private func reply(_ cmd: RTMPCommand, _ object: AMFValue, _ value: AMFValue) -> RTMPSessionAction {
        .send(RTMPCommand(name: "_result", transactionID: cmd.transactionID, commandObject: object, arguments: [value])
            .message(streamID: 0))
    }

    static func info(_ level: String, _ code: String, _ description: String) -> AMFValue {
        .object([AMFProperty("level", .string(level)), AMFProperty("code", .string(code)),
                 AMFProperty("description", .string(description))])
    }

    func status(streamID: UInt32, command: String = "onStatus", _ level: String, _ code: String, _ description: String) -> RTMPMessage {
        RTMPCommand(name: command, transactionID: 0, commandObject: .null, arguments: [Self.info(level, code, description)])
            .message(streamID: streamID, chunkStreamID: RTMPChunkStreamID.data)
    }

    /// "name?a=b" → ("name", "a=b").
    public static func splitQuery(_ s: String) -> (String, String) {
        guard let i = s.firstIndex(of: "?") else { return (s, "") }
        return (String(s[..<i]), String(s[s.index(after: i)...]))
    }

    static func joinQuery(_ a: String, _ b: String) -> String {
        a.isEmpty ? b : b.isEmpty ? a : a + "&" + b
    }
}
