import Access
import Foundation
import Ingest
import MediaCore
import NIOCore
import RTMP
import Testing

private let avcC = ByteBuffer(bytes: [
    0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11,
    0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x16, 0x2d, 0x96, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3,
    0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
])

private func videoMessages(streamID: UInt32, timestamps: [UInt32]) -> [RTMPMessage] {
    var out = [RTMPMessage(chunkStreamID: 6, type: .video, streamID: streamID, timestamp: timestamps[0],
                           payload: FLVVideoPacket.sequenceStart(.h264, config: avcC).serialize())]
    for (i, ts) in timestamps.enumerated() {
        // 300-byte frames: several chunks each, so fmt-3 continuation chunks carry the extended timestamp.
        let data = ByteBuffer(bytes: [0, 0, 1, 40] + [UInt8](repeating: UInt8(i), count: 296))
        out.append(RTMPMessage(chunkStreamID: 6, type: .video, streamID: streamID, timestamp: ts,
                               payload: FLVVideoPacket.frame(.h264, keyframe: i == 0, compositionTime: 0, data: data).serialize()))
    }
    return out
}

@Suite struct RTMPRawClientTests {
    typealias S = IngestTestSupport

    private func publishAndCollect(port: Int, server: RTMPServer, path name: String, chunkSize: UInt32?,
                                   librtmpStyle: Bool, timestamps: [UInt32]) async throws -> [Int64] {
        let client = try await RawRTMPClient.connect(port: port)
        if librtmpStyle { client.setLibrtmpStyleExtendedTimestamps() }
        let id = try await client.publish(name: name, chunkSize: chunkSize)
        try await client.send(videoMessages(streamID: id, timestamps: timestamps))
        let arrived = await S.eventually { (server.hub.stream("live/\(name)")?.unitsIn ?? 0) == timestamps.count }
        #expect(arrived)
        // One GOP: a new reader gets every unit from the cache.
        let queue = try #require(server.hub.stream("live/\(name)")?.subscribe())
        var dts: [Int64] = []
        while let event = queue.next(timeout: .seconds(1)) {
            if case .unit(let u) = event { dts.append(u.dts) }
            if dts.count == timestamps.count { break }
        }
        #expect(client.isClosed == false)
        await client.close()
        return dts
    }

    @Test func chunkSizeOneWithExtendedTimestampsAdobeStyle() async throws {
        let timestamps: [UInt32] = (0..<10).map { 0xFF_FF00 + UInt32($0) * 33 } // crosses 0xFFFFFF
        try await S.withServer { server, port in
            let dts = try await publishAndCollect(port: port, server: server, path: "ext1", chunkSize: 1,
                                                  librtmpStyle: false, timestamps: timestamps)
            #expect(dts == timestamps.map { Int64($0) })
        }
    }

    @Test func extendedTimestampsLibrtmpStyleAreDetected() async throws {
        let timestamps: [UInt32] = (0..<10).map { 0x0200_0000 + UInt32($0) * 40 }
        try await S.withServer { server, port in
            let dts = try await publishAndCollect(port: port, server: server, path: "ext2", chunkSize: nil,
                                                  librtmpStyle: true, timestamps: timestamps)
            #expect(dts == timestamps.map { Int64($0) })
        }
    }

    @Test func jumpingTimestampsAreRepairedAndTheSessionStaysOpen() async throws {
        try await S.withServer { server, port in
            let dts = try await publishAndCollect(port: port, server: server, path: "jump", chunkSize: nil, librtmpStyle: false,
                                                  timestamps: [1000, 1033, 1066, 5, 38, 2_000_000, 2_000_033])
            #expect(dts.count == 7)
            #expect(zip(dts, dts.dropFirst()).allSatisfy { $0 < $1 })
            #expect(await S.eventually { server.statistics.snapshot.timestampRepairs == 2 }) // back to 5, on to 2 000 000
        }
    }

    /// The same key proves the same owner: a half-dead publisher is taken over at once.
    @Test func halfDeadPublisherIsTakenOverAtOnceWithTheSameKey() async throws {
        struct OneKey: AccessControl {
            func check(_ r: AccessRequest) -> AccessDecision {
                r.query == "key=k1" ? .allow("key", credential: "k1") : r.query == "key=k2" ? .allow("key", credential: "k2") : .deny("no key")
            }
        }
        try await S.withServer(access: OneKey()) { server, port in
            let old = try await RawRTMPClient.connect(port: port)
            let oldID = try await old.publish(name: "same?key=k1")
            try await old.send(videoMessages(streamID: oldID, timestamps: [0, 33]))
            let reader = try #require(server.hub.stream("live/same")?.subscribe())
            // Another key is refused while the live publisher is connected: no hijack.
            let hijacker = try await RawRTMPClient.connect(port: port)
            await #expect(throws: TestFailure.self) { _ = try await hijacker.publish(name: "same?key=k2") }
            #expect(try hijacker.commands().contains { $0.arguments.first?["code"]?.string == "NetStream.Publish.BadName" })
            // The old publisher stays connected but silent; a new one arrives under the same name and key.
            let new = try await RawRTMPClient.connect(port: port)
            let newID = try await new.publish(name: "same?key=k1")
            #expect(await old.waitUntilClosed(), "the evicted publisher's connection is closed")
            try await new.send(videoMessages(streamID: newID, timestamps: [0, 33, 66]))
            var sawDiscontinuity = false
            var unitsAfter = 0
            while let event = reader.next(timeout: .seconds(5)) {
                switch event {
                case .discontinuity: sawDiscontinuity = true
                case .unit: if sawDiscontinuity { unitsAfter += 1 }
                default: break
                }
                if unitsAfter == 3 { break }
            }
            #expect(sawDiscontinuity && unitsAfter == 3)
            #expect(server.statistics.snapshot.takeovers == 1)
            #expect(new.isClosed == false)
            await new.close()
        }
    }

    @Test func aPlayerThatStopsReadingLosesMediaAndNeverSlowsThePublisher() async throws {
        try await S.withServer { server, port in
            let publisher = try await RawRTMPClient.connect(port: port)
            let id = try await publisher.publish(name: "fast")
            try await publisher.send([RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: 0,
                                                  payload: FLVVideoPacket.sequenceStart(.h264, config: avcC).serialize())])
            let slow = try await RawRTMPClient.connect(port: port)
            _ = try await slow.play(name: "fast")
            try await slow.stopReading()
            // 2000 frames of 50 kB (100 MB), a keyframe every 30: far more than socket buffers and the player queue hold.
            let frames = 2000
            for batch in stride(from: 0, to: frames, by: 100) {
                var messages: [RTMPMessage] = []
                for i in batch..<(batch + 100) {
                    let data = ByteBuffer(repeating: UInt8(i & 0xFF), count: 50_000)
                    messages.append(RTMPMessage(chunkStreamID: 6, type: .video, streamID: id, timestamp: UInt32(i * 33),
                                                payload: FLVVideoPacket.frame(.h264, keyframe: i % 30 == 0, compositionTime: 0, data: data).serialize()))
                }
                try await publisher.send(messages)
            }
            #expect(await S.eventually { server.hub.stream("live/fast")?.unitsIn == frames })
            #expect(publisher.isClosed == false)
            await slow.close()
            #expect(await S.eventually { server.statistics.snapshot.playerUnitsDropped > 0 })
            await publisher.close()
        }
    }

    @Test func malformedChunkClosesOnlyThatConnection() async throws {
        try await S.withServer { server, port in
            let good = try await RawRTMPClient.connect(port: port)
            let goodID = try await good.publish(name: "good")
            let bad = try await RawRTMPClient.connect(port: port)
            try await bad.handshake()
            try await bad.write(ByteBuffer(bytes: [0x45, 0, 0, 0, 0, 0, 1, 9, 0])) // fmt 1 on a chunk stream never opened
            #expect(await bad.waitUntilClosed())
            #expect(server.statistics.snapshot.closedForBadInput == 1)
            try await good.send(videoMessages(streamID: goodID, timestamps: [0, 33]))
            #expect(await S.eventually { server.hub.stream("live/good")?.unitsIn == 2 })
            #expect(good.isClosed == false)
            await good.close()
        }
    }

    @Test func hugeMessageLengthClosesTheConnection() async throws {
        try await S.withServer(maxMessageSize: 1 << 20) { server, port in
            let bad = try await RawRTMPClient.connect(port: port)
            try await bad.handshake()
            try await bad.write(ByteBuffer(bytes: [0x06, 0, 0, 0, 0xFF, 0xFF, 0xFF, 9, 1, 0, 0, 0]))
            #expect(await bad.waitUntilClosed())
        }
    }

    @Test func accessControlCanDenyPublishing() async throws {
        struct DenyWithoutToken: AccessControl {
            func check(_ r: AccessRequest) -> AccessDecision {
                r.action == .play || r.query.contains("token=secret") ? .allow("token") : .deny("no token")
            }
        }
        try await S.withServer(access: DenyWithoutToken()) { server, port in
            let denied = try await RawRTMPClient.connect(port: port)
            await #expect(throws: TestFailure.self) { _ = try await denied.publish(name: "x") }
            #expect(try denied.commands().contains { $0.arguments.first?["code"]?.string == "NetStream.Publish.Unauthorized" })
            #expect(await denied.waitUntilClosed())
            let allowed = try await RawRTMPClient.connect(port: port)
            _ = try await allowed.publish(name: "x?token=secret")
            #expect(server.hub.stream("live/x") != nil)
            await allowed.close()
        }
    }
}

/// Issue 12: a publisher the server stops (an operator's kick, graceful shutdown) is told why
/// in an onStatus before its connection closes, and the API sees who it was.
@Suite struct RTMPPublisherStopTests {
    @Test func aStoppedPublisherGetsAnOnStatusWithTheReasonThenTheClose() async throws {
        try await IngestTestSupport.withServer { server, port in
            let client = try await RawRTMPClient.connect(port: port)
            _ = try await client.publish(name: "kickme")
            let stream = try #require(server.hub.stream("live/kickme"))
            let info = try #require(stream.publisherInfo)
            #expect(info.transport == "rtmp" && info.remote.hasPrefix("127.0.0.1:"))
            #expect(server.hub.stopPublishers(reason: "the server is shutting down") == 1)
            let status = try await client.waitForCommand {
                $0.name == "onStatus" && $0.arguments.first?["code"]?.string == "NetStream.Unpublish.Success"
            }
            #expect(status.arguments.first?["description"]?.string == "the server is shutting down")
            #expect(await client.waitUntilClosed(), "the connection stays open after the status")
            #expect(await IngestTestSupport.eventually { server.hub.stream("live/kickme") == nil }, "the stream did not end")
        }
    }
}
