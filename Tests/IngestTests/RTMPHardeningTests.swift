import Foundation
import Ingest
import MediaCore
import NIOCore
import RTMP
import StreamHub
import Testing

/// Issue 9 over a real socket: stream names (finding 11), pre-authorisation caps, bounded
/// replies, timeouts and the connection limit (finding 10), the createStream cap (finding 8).
@Suite struct RTMPHardeningTests {
    typealias S = IngestTestSupport

    static let avcC = ByteBuffer(bytes: [
        0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11,
        0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x16, 0x2d, 0x96, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3,
        0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
    ])

    /// connect → createStream; returns the stream ID.
    private func connected(_ client: RawRTMPClient, app: String = "live") async throws -> UInt32 {
        try await client.handshake()
        try await client.send([
            RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMFProperty("app", .string(app))])).message(streamID: 0),
            RTMPCommand(name: "createStream", transactionID: 2).message(streamID: 0),
        ])
        let created = try await client.waitForCommand { $0.name == "_result" && $0.transactionID == 2 }
        return UInt32(created.arguments.first?.number ?? 0)
    }

    /// Sends publish and returns the onStatus code the server answered with.
    private func publishStatus(port: Int, app: String = "live", name: String) async throws -> (code: String?, closed: Bool) {
        let client = try await RawRTMPClient.connect(port: port)
        let id = try await connected(client, app: app)
        try await client.send([RTMPCommand(name: "publish", transactionID: 3, arguments: [.string(name), .string("live")])
            .message(streamID: id, chunkStreamID: 8)])
        let status = try await client.waitForCommand { $0.name == "onStatus" }
        let closed = await client.waitUntilClosed()
        if !closed { await client.close() }
        return (status.arguments.first?["code"]?.string, closed)
    }

    @Test func aNestedNameCannotHijackALiveStream() async throws {
        try await S.withServer { server, port in
            let legit = try await RawRTMPClient.connect(port: port)
            _ = try await legit.publish(name: "legit")
            // `live/legit/source/index.m3u8` is the legit stream's source rendition.
            let nested = try await publishStatus(port: port, name: "legit/source")
            #expect(nested.code == "NetStream.Publish.BadName" && nested.closed)
            let parent = try await publishStatus(port: port, app: "", name: "live")
            #expect(parent.code == "NetStream.Publish.BadName" && parent.closed)
            #expect(server.hub.paths == ["live/legit"])
            #expect(legit.isClosed == false)
            await legit.close()
            // Once the legit stream ended (and nothing else uses the path), the name is free.
            #expect(await S.eventually { server.hub.stream("live/legit") == nil })
            let reuse = try await RawRTMPClient.connect(port: port)
            _ = try await reuse.publish(name: "legit/source")
            await reuse.close()
        }
    }

    @Test func pathsStillServedAfterTheirPublisherLeftAreProtected() async throws {
        // The composition layer (HLS registry during its end grace) reports paths still in use.
        let hub = StreamHub(pathsInUse: { ["live/ended"] })
        try await S.withServer(hub: hub) { server, port in
            let nested = try await publishStatus(port: port, name: "ended/source")
            #expect(nested.code == "NetStream.Publish.BadName")
            let same = try await RawRTMPClient.connect(port: port)
            _ = try await same.publish(name: "ended") // the same path resumes
            #expect(server.hub.paths == ["live/ended"])
            await same.close()
        }
    }

    @Test func namesWithControlBytesDotsOrHugeLengthsAreRefused() async throws {
        try await S.withServer { server, port in
            for name in ["a\u{0}b", "forged\nINFO line", "../x", "a//b", "a/./b", "caf\u{e9}", String(repeating: "n", count: 1000)] {
                let result = try await publishStatus(port: port, name: name)
                #expect(result.code == "NetStream.Publish.BadName", "\(name.debugDescription)")
                #expect(result.closed)
            }
            // A 64 KB name is not even read before connect and publish are authorised.
            let huge = try await RawRTMPClient.connect(port: port)
            let id = try await connected(huge)
            try await huge.send([RTMPCommand(name: "publish", transactionID: 3, arguments: [.string(String(repeating: "n", count: 65_536))])
                .message(streamID: id, chunkStreamID: 8)])
            #expect(await huge.waitUntilClosed())
            #expect(server.hub.paths.isEmpty)
        }
    }

    @Test func beforePublishingAConnectionMayNotSendLargeMessages() async throws {
        try await S.withServer { server, port in
            let anonymous = try await RawRTMPClient.connect(port: port)
            try await anonymous.handshake()
            // Chunk stream 6, message length 1 MiB, type 20 (AMF0 command): far under the 16 MiB wire
            // limit, far over what connect needs.
            try await anonymous.write(ByteBuffer(bytes: [0x06, 0, 0, 0, 0x10, 0x00, 0x00, 20, 0, 0, 0, 0] + [UInt8](repeating: 2, count: 128)))
            #expect(await anonymous.waitUntilClosed())
            #expect(server.statistics.snapshot.closedForBadInput == 1)

            // After an authorised publish, media messages of that size are fine.
            let publisher = try await RawRTMPClient.connect(port: port)
            let id = try await publisher.publish(name: "big")
            let frame = FLVVideoPacket.frame(.h264, keyframe: true, compositionTime: 0,
                                             data: ByteBuffer(repeating: 7, count: 1 << 20)).serialize()
            try await publisher.send([
                RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0,
                            payload: FLVVideoPacket.sequenceStart(.h264, config: Self.avcC).serialize()),
                RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0, payload: frame),
            ])
            #expect(await S.eventually { server.hub.stream("live/big")?.unitsIn == 1 })
            #expect(publisher.isClosed == false)
            await publisher.close()
        }
    }

    @Test func beforePublishingUnfinishedMessagesAreCappedInTotal() async throws {
        try await S.withServer { server, port in
            let anonymous = try await RawRTMPClient.connect(port: port)
            try await anonymous.handshake()
            try await anonymous.send([RTMPControlMessages.setChunkSize(60_000)])
            // Three 64,000-byte messages on three chunk streams, each left 4,000 bytes short:
            // every one is under the 64 KiB message cap, together they pass the 128 KiB total.
            for csid: UInt8 in [4, 5, 6] {
                let header: [UInt8] = [csid, 0, 0, 0, 0x00, 0xFA, 0x00, 20, 0, 0, 0, 0] // length 64,000, AMF0 command
                try await anonymous.write(ByteBuffer(bytes: header + [UInt8](repeating: 2, count: 60_000)))
            }
            #expect(await anonymous.waitUntilClosed())
            #expect(server.statistics.snapshot.closedForBadInput == 1)
        }
    }

    @Test func aReplyNeverGrowsWithWhatThePeerSent() async throws {
        try await S.withServer { _, port in
            let client = try await RawRTMPClient.connect(port: port)
            _ = try await connected(client)
            let name = String(repeating: "x", count: 60_000)
            try await client.send([RTMPCommand(name: name, transactionID: 7).message(streamID: 0)])
            let reply = try await client.waitForCommand { $0.name == "_error" && $0.transactionID == 7 }
            #expect((reply.arguments.first?["description"]?.string?.utf8.count ?? .max) < 200)
            await client.close()
        }
    }

    @Test func aPeerThatDoesNotReadRepliesStopsBeingRead() async throws {
        try await S.withServer { server, port in
            let client = try await RawRTMPClient.connect(port: port)
            let id = try await client.publish(name: "pressure")
            try await client.stopReading()
            // 80,000 unknown commands, each answered with an error of ~130 bytes (over 10 MB of
            // replies): more than the socket buffers hold while nobody reads them.
            let count = 80_000
            let name = String(repeating: "u", count: 60)
            var out = ByteBuffer()
            var encoder = RTMPChunkEncoder()
            for i in 0..<count {
                encoder.encode(RTMPCommand(name: name, transactionID: Double(i + 10)).message(streamID: id), into: &out)
            }
            let written = client.channel.eventLoop.makePromise(of: Void.self)
            client.channel.writeAndFlush(out, promise: written)
            #expect(await S.eventually { server.statistics.snapshot.readPauses > 0 })
            // Reading again, the client gets every reply: nothing was dropped, only delayed.
            try await client.channel.setOption(.autoRead, value: true).get()
            client.channel.read()
            try await written.futureResult.get()
            // Every reply is over 100 bytes (`_error`, the transaction, the status object).
            #expect(await S.eventually(seconds: 60) { client.inbox.state.withLock { $0.bytes.readableBytes } >= count * 100 })
            #expect(client.isClosed == false)
            await client.close()
        }
    }

    @Test func createStreamIsCappedPerConnection() async throws {
        try await S.withServer { _, port in
            let client = try await RawRTMPClient.connect(port: port)
            _ = try await connected(client)
            try await client.send((0..<100).map { RTMPCommand(name: "createStream", transactionID: Double(10 + $0)).message(streamID: 0) })
            let refused = try await client.waitForCommand { $0.name == "_error" }
            #expect(refused.arguments.first?["description"]?.string == "too many streams")
            #expect(await client.waitUntilClosed())
            #expect(try client.commands().filter { $0.name == "_result" }.count == RTMPServerSession.maxStreams + 1) // + connect
        }
    }

    @Test func aConnectionThatNeitherPublishesNorPlaysIsClosed() async throws {
        try await S.withServer(configure: { $0.sessionStartTimeout = .seconds(1) }) { server, port in
            let idle = try await RawRTMPClient.connect(port: port)
            try await idle.handshake() // then neither connect, publish nor play
            #expect(await idle.waitUntilClosed(seconds: 10))
            #expect(server.statistics.snapshot.closedForTimeout == 1)
        }
    }

    @Test func aSilentPublisherIsClosed() async throws {
        try await S.withServer(configure: { $0.publisherIdleTimeout = .seconds(1) }) { server, port in
            let silent = try await RawRTMPClient.connect(port: port)
            _ = try await silent.publish(name: "silent")
            #expect(await silent.waitUntilClosed(seconds: 10))
            #expect(server.statistics.snapshot.closedForTimeout == 1)
            #expect(await S.eventually { server.hub.stream("live/silent") == nil })
        }
    }

    @Test func aPlayerThatNeverReadsIsClosedAfterTheStallTimeout() async throws {
        try await S.withServer(configure: { $0.playerStallTimeout = .seconds(1) }) { server, port in
            let publisher = try await RawRTMPClient.connect(port: port)
            let id = try await publisher.publish(name: "stall")
            try await publisher.send([RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0,
                                                  payload: FLVVideoPacket.sequenceStart(.h264, config: Self.avcC).serialize())])
            let player = try await RawRTMPClient.connect(port: port)
            _ = try await player.play(name: "stall")
            try await player.stopReading()
            // 40 MB of frames: far more than the socket buffers hold, so the player's socket stays unwritable.
            for batch in stride(from: 0, to: 800, by: 100) {
                var messages: [RTMPMessage] = []
                for i in batch..<(batch + 100) {
                    let data = ByteBuffer(repeating: UInt8(i & 0xFF), count: 50_000)
                    let frame = FLVVideoPacket.frame(.h264, keyframe: i % 30 == 0, compositionTime: 0, data: data)
                    messages.append(RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: UInt32(i * 33),
                                                payload: frame.serialize()))
                }
                try await publisher.send(messages)
            }
            #expect(await S.eventually { server.statistics.snapshot.closedForTimeout == 1 })
            #expect(await S.eventually { server.hub.stream("live/stall")?.readerCount == 0 })
            #expect(publisher.isClosed == false)
            await player.close()
            await publisher.close()
        }
    }

    @Test func connectionsBeyondTheLimitAreClosedOnAccept() async throws {
        try await S.withServer(configure: { $0.maxConnections = 2 }) { server, port in
            let first = try await RawRTMPClient.connect(port: port)
            let second = try await RawRTMPClient.connect(port: port)
            #expect(await S.eventually { server.connectionCount == 2 })
            let third = try await RawRTMPClient.connect(port: port)
            #expect(await third.waitUntilClosed())
            #expect(server.statistics.snapshot.refusedConnections == 1)
            _ = try await first.publish(name: "still-works")
            #expect(second.isClosed == false)
            await first.close()
            await second.close()
        }
    }

    @Test func anOnMetaDataFloodStaysBoundedForAReaderThatNeverReads() async throws {
        try await S.withServer { server, port in
            let publisher = try await RawRTMPClient.connect(port: port)
            let id = try await publisher.publish(name: "meta")
            let stream = try #require(server.hub.stream("live/meta"))
            let stalled = try #require(stream.subscribe(capacity: 100_000))
            for batch in 0..<20 {
                var messages: [RTMPMessage] = []
                for i in 0..<100 {
                    var payload = ByteBuffer()
                    AMF0.write([.string("@setDataFrame"), .string("onMetaData"),
                                .object([AMFProperty("n", .number(Double(batch * 100 + i))),
                                         AMFProperty("pad", .string(String(repeating: "p", count: 1000)))])], into: &payload)
                    messages.append(RTMPMessage(chunkStreamID: 4, type: .amf0Data, streamID: id, timestamp: 0, payload: payload))
                }
                try await publisher.send(messages)
            }
            // A marker after the flood: once it is in, every metadata message was handled.
            try await publisher.send([RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0,
                                                  payload: FLVVideoPacket.sequenceStart(.h264, config: Self.avcC).serialize())])
            #expect(await S.eventually { !stream.tracks.isEmpty })
            #expect(stalled.count <= 3, "queued events: \(stalled.count)")
            #expect(stalled.queuedBytes < 64 << 10)
            #expect(publisher.isClosed == false)
            await publisher.close()
        }
    }
}
