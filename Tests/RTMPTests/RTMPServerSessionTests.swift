import NIOCore
import Testing
@testable import RTMP

/// Drives a session the way real clients do and records what it asks for.
private struct Client {
    var session = RTMPServerSession()
    var transaction = 1.0

    mutating func command(_ name: String, stream: UInt32 = 0, object: AMFValue = .null, _ args: AMFValue...) throws -> [RTMPSessionAction] {
        defer { transaction += 1 }
        let msg = RTMPCommand(name: name, transactionID: transaction, commandObject: object, arguments: args).message(streamID: stream)
        return try session.received(msg)
    }

    mutating func connect(app: String = "live") throws -> [RTMPSessionAction] {
        try command("connect", object: .object([AMFProperty("app", .string(app)),
                                                AMFProperty("tcUrl", .string("rtmp://127.0.0.1/\(app)"))]))
    }
}

private func commands(_ actions: [RTMPSessionAction]) throws -> [RTMPCommand] {
    try actions.compactMap { action in
        guard case .send(let m) = action, m.type == .amf0Command else { return nil }
        return try RTMPCommand(message: m)
    }
}

private func createdStreamID(_ actions: [RTMPSessionAction]) throws -> UInt32 {
    let result = try #require(try commands(actions).first { $0.name == "_result" })
    return UInt32(try #require(result.arguments.first?.number))
}

private func statusCodes(_ actions: [RTMPSessionAction]) throws -> [String] {
    try commands(actions).filter { $0.name == "onStatus" }.compactMap { $0.arguments.first?["code"]?.string }
}

@Suite struct RTMPServerSessionTests {
    @Test func connectAnswersWithControlMessagesAndSuccess() throws {
        var c = Client()
        let actions = try c.connect()
        let types = actions.compactMap { if case .send(let m) = $0 { m.type } else { nil } }
        #expect(types == [.windowAckSize, .setPeerBandwidth, .setChunkSize, .amf0Command])
        let result = try #require(try commands(actions).first)
        #expect(result.name == "_result" && result.transactionID == 1)
        #expect(result.arguments.first?["code"]?.string == "NetConnection.Connect.Success")
        #expect(c.session.app == "live")
    }

    @Test func obsAndFFmpegOrder() throws {
        // connect → releaseStream → FCPublish → createStream → publish
        var c = Client()
        _ = try c.connect()
        #expect(try commands(try c.command("releaseStream", .string("key"))).map(\.name) == ["_result"])
        #expect(try commands(try c.command("FCPublish", .string("key"))).map(\.name) == ["_result", "onFCPublish"])
        let id = try createdStreamID(try c.command("createStream"))
        let publish = try c.command("publish", stream: id, .string("key?token=abc"), .string("live"))
        #expect(publish == [.publish(streamID: id, path: "live/key", query: "token=abc")])
        #expect(try statusCodes(c.session.publishAccepted(streamID: id)) == ["NetStream.Publish.Start"])
        let video = RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0, payload: ByteBuffer(bytes: [0x17, 0]))
        #expect(try c.session.received(video) == [.media(video)])
        // OBS stopping: FCUnpublish, deleteStream.
        #expect(try c.command("FCUnpublish", .string("key")).contains(.stopPublishing(streamID: id)))
        #expect(try c.command("deleteStream", .number(Double(id))) == [])
        #expect(try c.session.received(video) == [])
    }

    @Test func haivisionOrderCreateStreamBeforeFCPublish() throws {
        var c = Client()
        _ = try c.connect(app: "app/with/slashes/")
        let id = try createdStreamID(try c.command("createStream"))
        _ = try c.command("FCPublish", .string("s1"))
        #expect(try c.command("publish", stream: id, .string("s1"), .string("live"))
                == [.publish(streamID: id, path: "app/with/slashes/s1", query: "")])
    }

    @Test func flashOrderCreateStreamThenPublish() throws {
        var c = Client()
        _ = try c.connect()
        let id = try createdStreamID(try c.command("createStream"))
        #expect(try c.command("publish", stream: id, .string("cam")) == [.publish(streamID: id, path: "live/cam", query: "")])
    }

    @Test func createStreamTwiceGivesTwoStreamsAndEitherCanPublish() throws {
        var c = Client()
        _ = try c.connect()
        let a = try createdStreamID(try c.command("createStream"))
        let b = try createdStreamID(try c.command("createStream"))
        #expect(a != b)
        #expect(try c.command("publish", stream: b, .string("x")) == [.publish(streamID: b, path: "live/x", query: "")])
    }

    @Test func playOrderOfFFmpeg() throws {
        var c = Client()
        _ = try c.connect()
        let id = try createdStreamID(try c.command("createStream"))
        #expect(try commands(try c.command("getStreamLength", .string("x"))).first?.arguments == [.number(0)])
        #expect(try c.command("play", stream: id, .string("x"), .number(-2000)) == [.play(streamID: id, path: "live/x", query: "")])
        let accepted = c.session.playAccepted(streamID: id)
        #expect(try statusCodes(accepted) == ["NetStream.Play.Reset", "NetStream.Play.Start"])
        guard case .send(let begin) = accepted.first, begin.type == .userControl else { Issue.record("no StreamBegin"); return }
        #expect(try statusCodes(c.session.playEnded(streamID: id)) == ["NetStream.Play.UnpublishNotify"])
    }

    @Test func unknownCommandsAreAnsweredAndTheSessionContinues() throws {
        var c = Client()
        _ = try c.connect()
        let reply = try commands(try c.command("someVendorThing", .string("x")))
        #expect(reply.map(\.name) == ["_error"])
        #expect(try c.session.received(RTMPCommand(name: "noReplyWanted", transactionID: 0).message(streamID: 0)) == [])
        let id = try createdStreamID(try c.command("createStream"))
        #expect(try c.command("publish", stream: id, .string("x")).count == 1)
    }

    @Test func amf3CommandsFromFlashWithObjectEncoding3() throws {
        // Type 17: a format byte 0, then AMF0 with an AMF3 object behind the 0x11 switch marker.
        var payload = ByteBuffer(bytes: [0])
        AMF0.write([.string("connect"), .number(1)], into: &payload)
        payload.writeBytes([0x11, 0x0A, 0x0B, 0x01, 0x07] + Array("app".utf8) + [0x06, 0x09] + Array("live".utf8)
                           + [0x1D] + Array("objectEncoding".utf8) + [0x04, 0x03, 0x01])
        var session = RTMPServerSession()
        let actions = try session.received(RTMPMessage(chunkStreamID: 3, type: .amf3Command, streamID: 0, timestamp: 0, payload: payload))
        let result = try #require(try commands(actions).first)
        #expect(result.name == "_result")
        #expect(result.arguments.first?["objectEncoding"] == .number(3))
        #expect(session.app == "live")
    }

    @Test func emptyAppGivesAPathWithoutALeadingSlash() throws {
        var c = Client()
        _ = try c.connect(app: "")
        let id = try createdStreamID(try c.command("createStream"))
        #expect(try c.command("publish", stream: id, .string("solo")) == [.publish(streamID: id, path: "solo", query: "")])
    }

    @Test func publishBeforeConnectCloses() throws {
        var c = Client()
        #expect(try c.command("publish", stream: 1, .string("x")) == [.close(reason: "publish before connect")])
    }

    @Test func mediaOnAStreamThatIsNotPublishingIsIgnored() throws {
        var c = Client()
        _ = try c.connect()
        let id = try createdStreamID(try c.command("createStream"))
        _ = try c.command("publish", stream: id, .string("x"))
        // Not accepted yet: nothing passes.
        let audio = RTMPMessage(chunkStreamID: 4, type: .audio, streamID: id, timestamp: 0, payload: ByteBuffer(bytes: [0xAF, 1]))
        #expect(try c.session.received(audio) == [])
        _ = c.session.publishRejected(streamID: id, reason: "denied")
        #expect(try c.session.received(audio) == [])
    }

    @Test func pingIsAnsweredAndAcknowledgementsFollowThePeerWindow() throws {
        var c = Client()
        var ping = ByteBuffer()
        ping.writeInteger(UInt16(6))
        ping.writeInteger(UInt32(1234))
        let pong = try c.session.received(RTMPMessage(chunkStreamID: 2, type: .userControl, streamID: 0, timestamp: 0, payload: ping))
        #expect(pong == [.send(RTMPControlMessages.userControl(.pingResponse, 1234))])
        #expect(c.session.bytesReceived(10_000) == [])
        _ = try c.session.received(RTMPControlMessages.windowAckSize(5000))
        #expect(c.session.bytesReceived(1000) == [.send(RTMPControlMessages.acknowledgement(11_000))])
        #expect(c.session.bytesReceived(4999) == [])
        #expect(c.session.bytesReceived(1) == [.send(RTMPControlMessages.acknowledgement(16_000))])
    }

    @Test func aggregateMessagesAreSplitWithRebasedTimestamps() throws {
        var c = Client()
        _ = try c.connect()
        let id = try createdStreamID(try c.command("createStream"))
        _ = try c.command("publish", stream: id, .string("x"))
        _ = c.session.publishAccepted(streamID: id)
        var agg = ByteBuffer()
        for (type, ts, body) in [(UInt8(9), UInt32(1000), [UInt8](arrayLiteral: 0x17, 1, 0, 0, 0)), (8, 1023, [0xAF, 1, 9])] {
            agg.writeInteger(type)
            agg.writeUInt24(UInt32(body.count))
            agg.writeUInt24(ts & 0xFFFFFF)
            agg.writeInteger(UInt8(ts >> 24))
            agg.writeUInt24(0)
            agg.writeBytes(body)
            agg.writeInteger(UInt32(11 + body.count))
        }
        let actions = try c.session.received(RTMPMessage(chunkStreamID: 6, type: .aggregate, streamID: id, timestamp: 5000, payload: agg))
        let media = actions.compactMap { if case .media(let m) = $0 { m } else { nil } }
        #expect(media.map(\.typeID) == [9, 8])
        #expect(media.map(\.timestamp) == [5000, 5023])
        #expect(media[1].payload == ByteBuffer(bytes: [0xAF, 1, 9]))
    }
}
