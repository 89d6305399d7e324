import Access
import Logging
import MediaCore
import NIOCore
import NIOEmbedded
import RTMP
import StreamHub
import Testing
@testable import Ingest

@Suite struct RTMPConnectionHandlerTests {
    private func makeChannel(hub: StreamHub) async throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: RTMPConnectionHandler(
            hub: hub, access: AllowAll(), logger: IngestTestSupport.logger,
            configuration: RTMPServerConfiguration(maxMessageSize: 1 << 20, playerQueueCapacity: 16)))
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).get()
        return channel
    }

    private func handshake(_ channel: EmbeddedChannel) throws {
        var c0c1 = ByteBuffer(bytes: [3])
        c0c1.writeBytes([UInt8](repeating: 1, count: 1536))
        try channel.writeInbound(c0c1)
        let reply = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(reply.readableBytes == 3073)
        try channel.writeInbound(reply.getSlice(at: 1, length: 1536)!)
    }

    private func replies(_ channel: EmbeddedChannel, _ decoder: inout RTMPChunkDecoder) throws -> [RTMPMessage] {
        var out: [RTMPMessage] = []
        while var b = try channel.readOutbound(as: ByteBuffer.self) {
            while let m = try decoder.decode(buffer: &b) { out.append(m) }
            #expect(b.readableBytes == 0)
        }
        return out
    }

    @Test func publishThroughTheHandlerReachesTheHub() async throws {
        let hub = StreamHub()
        let channel = try await makeChannel(hub: hub)
        try handshake(channel)
        var encoder = RTMPChunkEncoder()
        var decoder = RTMPChunkDecoder()
        var input = ByteBuffer()
        for m in [
            RTMPControlMessages.setChunkSize(4096),
            RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMFProperty("app", .string("live"))])).message(streamID: 0),
            RTMPCommand(name: "releaseStream", transactionID: 2, arguments: [.string("e")]).message(streamID: 0),
            RTMPCommand(name: "FCPublish", transactionID: 3, arguments: [.string("e")]).message(streamID: 0),
            RTMPCommand(name: "createStream", transactionID: 4).message(streamID: 0),
            RTMPCommand(name: "publish", transactionID: 5, arguments: [.string("e"), .string("live")]).message(streamID: 1),
            RTMPMessage(chunkStreamID: 4, type: .audio, streamID: 1, timestamp: 0, payload: ByteBuffer(bytes: [0xAF, 0, 0x12, 0x10])),
            RTMPMessage(chunkStreamID: 4, type: .audio, streamID: 1, timestamp: 23, payload: ByteBuffer(bytes: [0xAF, 1, 0x21])),
        ] { encoder.encode(m, into: &input) }
        // Byte by byte through the pipeline, as a slow socket would deliver it.
        for byte in input.readableBytesView { try channel.writeInbound(ByteBuffer(bytes: [byte])) }

        let out = try replies(channel, &decoder)
        let commands = try out.filter { $0.type == .amf0Command }.map { try RTMPCommand(message: $0) }
        #expect(commands.filter { $0.name == "_result" }.map(\.transactionID) == [1, 2, 3, 4])
        #expect(commands.contains { $0.arguments.first?["code"]?.string == "NetStream.Publish.Start" })
        let stream = try #require(hub.stream("live/e"))
        #expect(stream.tracks.map(\.codec) == [.aac])
        #expect(stream.tracks.first?.sampleRate == 44100 && stream.tracks.first?.channels == 2)
        #expect(stream.unitsIn == 1)

        _ = try await channel.close().get()
        #expect(hub.stream("live/e") == nil) // disconnect ends the stream
    }

    @Test func publishingTwiceOnTheSameStreamKeepsTheConnection() async throws {
        let hub = StreamHub()
        let channel = try await makeChannel(hub: hub)
        try handshake(channel)
        var encoder = RTMPChunkEncoder()
        var input = ByteBuffer()
        for m in [
            RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMFProperty("app", .string("live"))])).message(streamID: 0),
            RTMPCommand(name: "createStream", transactionID: 2).message(streamID: 0),
            RTMPCommand(name: "publish", transactionID: 3, arguments: [.string("twice")]).message(streamID: 1),
            RTMPCommand(name: "publish", transactionID: 4, arguments: [.string("twice")]).message(streamID: 1),
            RTMPMessage(chunkStreamID: 4, type: .audio, streamID: 1, timestamp: 0, payload: ByteBuffer(bytes: [0xAF, 0, 0x12, 0x10])),
            RTMPMessage(chunkStreamID: 4, type: .audio, streamID: 1, timestamp: 23, payload: ByteBuffer(bytes: [0xAF, 1, 0x21])),
        ] { encoder.encode(m, into: &input) }
        try channel.writeInbound(input)
        channel.embeddedEventLoop.run() // deliver the hub's eviction notice for the first publish
        #expect(channel.isActive)
        #expect(hub.stream("live/twice")?.unitsIn == 1)
        _ = try await channel.close().get()
    }

    @Test func badInputClosesTheChannel() async throws {
        let channel = try await makeChannel(hub: StreamHub())
        try handshake(channel)
        try channel.writeInbound(ByteBuffer(bytes: [0xC9])) // fmt 3 on a chunk stream never opened
        #expect(channel.isActive == false)
    }

    @Test func aConnectionThatNeverHandshakesIsClosed() async throws {
        let channel = try await makeChannel(hub: StreamHub())
        try channel.writeInbound(ByteBuffer(bytes: [3, 0, 0])) // a slow or stuck client
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(channel.isActive == false)
    }

    @Test func badHandshakeVersionClosesTheChannel() async throws {
        let channel = try await makeChannel(hub: StreamHub())
        var c0c1 = ByteBuffer(bytes: [0x16]) // a TLS ClientHello, say
        c0c1.writeBytes([UInt8](repeating: 0, count: 1536))
        try channel.writeInbound(c0c1)
        #expect(channel.isActive == false)
    }
}
