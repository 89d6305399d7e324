import Foundation
import NIOCore
import NIOPosix
import RTMP
import Synchronization
import Testing

/// A scriptable RTMP client for tests: it sends exactly the chunks we ask for (chunk size 1,
/// extended timestamps, garbage) and collects what the server answers.
final class RawRTMPClient: Sendable {
    final class Inbox: Sendable {
        struct State {
            var bytes = ByteBuffer()
            var decoder = RTMPChunkDecoder()
            var messages: [RTMPMessage] = []
            var closed = false
            var handshakeDone = false
        }
        let state = Mutex(State())
    }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox
        init(_ inbox: Inbox) { self.inbox = inbox }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            _ = inbox.state.withLock { $0.bytes.writeBuffer(&b) }
        }
        func channelInactive(context: ChannelHandlerContext) {
            inbox.state.withLock { $0.closed = true }
        }
    }

    let channel: any Channel
    let inbox: Inbox
    let encoder = Mutex(RTMPChunkEncoder())

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// `receiveBuffer` sets SO_RCVBUF before connecting (a small one keeps the server's bytes
    /// on the server's side, as on a slow link); `readChunk` caps each socket read (for
    /// `readSlowly`: NIO reuses its receive buffers, so the cap must hold from the start).
    static func connect(port: Int, receiveBuffer: Int? = nil, readChunk: Int? = nil) async throws -> RawRTMPClient {
        let inbox = Inbox()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        if let readChunk {
            bootstrap = bootstrap.channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: readChunk))
        }
        let channel = try await bootstrap
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Collector(inbox)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawRTMPClient(channel: channel, inbox: inbox)
    }

    var isClosed: Bool { inbox.state.withLock { $0.closed } }

    func close() async {
        do {
            try await channel.close()
        } catch {
            // Already closed by the server: that is what some tests wait for.
            #expect(error as? ChannelError == .alreadyClosed)
        }
    }

    /// Stops reading the socket, as a player on a slow link: the server's writes back up.
    func stopReading() async throws {
        try await channel.setOption(.autoRead, value: false).get()
    }

    /// Reads one `readChunk` (see `connect`) every `interval` from now on: a player on a slow
    /// link. Returns the timer; cancel it (or close) to stop.
    func readSlowly(every interval: TimeAmount) async throws -> RepeatedTask {
        try await channel.setOption(.autoRead, value: false).get()
        try await channel.setOption(.maxMessagesPerRead, value: 1).get() // one socket read per read()
        let channel = self.channel
        return channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in channel.read() }
    }

    /// Bytes received so far.
    var receivedBytes: Int { inbox.state.withLock { $0.bytes.writerIndex } }

    func write(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes)
    }

    func handshake() async throws {
        var c0c1 = ByteBuffer(bytes: [3])
        c0c1.writeBytes([UInt8](repeating: 0x5A, count: 1536))
        try await write(c0c1)
        let ok = await waitFor { s in s.bytes.readableBytes >= 3073 }
        guard ok else { throw TestFailure("no S0S1S2") }
        let s1 = inbox.state.withLock { s -> ByteBuffer in
            s.bytes.moveReaderIndex(forwardBy: 1)
            let s1 = s.bytes.readSlice(length: 1536)!
            s.bytes.moveReaderIndex(forwardBy: 1536)
            s.handshakeDone = true
            return s1
        }
        try await write(s1) // C2 echoes S1
    }

    func send(_ messages: [RTMPMessage]) async throws {
        var out = ByteBuffer()
        encoder.withLock { e in for m in messages { e.encode(m, into: &out) } }
        try await write(out)
    }

    func setLibrtmpStyleExtendedTimestamps() {
        encoder.withLock { $0.repeatsExtendedTimestampInType3 = false }
    }

    /// Messages received so far (decoded incrementally).
    func messages() throws -> [RTMPMessage] {
        try inbox.state.withLock { s in
            guard s.handshakeDone else { return [] }
            while let m = try s.decoder.decode(buffer: &s.bytes) { s.messages.append(m) }
            return s.messages
        }
    }

    func commands() throws -> [RTMPCommand] {
        try messages().filter { $0.type == .amf0Command }.map { try RTMPCommand(message: $0) }
    }

    private func waitFor(seconds: Double = 10, _ condition: (inout Inbox.State) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !inbox.state.withLock({ condition(&$0) }) {
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    func waitForCommand(seconds: Double = 10, _ matches: (RTMPCommand) -> Bool) async throws -> RTMPCommand {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let closed = isClosed // read before the commands: what arrived before a close is not missed
            if let c = try commands().first(where: matches) { return c }
            if Date() > deadline || closed { throw TestFailure("expected command not received; got \(try commands().map(\.name))") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func waitUntilClosed(seconds: Double = 10) async -> Bool {
        await waitFor(seconds: seconds) { $0.closed }
    }

    /// connect → createStream → publish; returns the message stream ID once publishing started.
    func publish(app: String = "live", name: String, chunkSize: UInt32? = nil) async throws -> UInt32 {
        try await handshake()
        var first: [RTMPMessage] = []
        if let chunkSize { first.append(RTMPControlMessages.setChunkSize(chunkSize)) }
        first.append(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
            AMFProperty("app", .string(app)), AMFProperty("tcUrl", .string("rtmp://127.0.0.1/\(app)")),
        ])).message(streamID: 0))
        first.append(RTMPCommand(name: "createStream", transactionID: 2).message(streamID: 0))
        try await send(first)
        let created = try await waitForCommand { $0.name == "_result" && $0.transactionID == 2 }
        let id = UInt32(created.arguments.first?.number ?? 0)
        try await send([RTMPCommand(name: "publish", transactionID: 3, arguments: [.string(name), .string("live")])
            .message(streamID: id, chunkStreamID: 8)])
        _ = try await waitForCommand { $0.name == "onStatus" && $0.arguments.first?["code"]?.string == "NetStream.Publish.Start" }
        return id
    }
}

extension RawRTMPClient {
    /// connect → createStream → play; returns the message stream ID once playing started.
    func play(app: String = "live", name: String) async throws -> UInt32 {
        try await handshake()
        try await send([
            RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMFProperty("app", .string(app))])).message(streamID: 0),
            RTMPCommand(name: "createStream", transactionID: 2).message(streamID: 0),
        ])
        let created = try await waitForCommand { $0.name == "_result" && $0.transactionID == 2 }
        let id = UInt32(created.arguments.first?.number ?? 0)
        try await send([RTMPCommand(name: "play", transactionID: 0, arguments: [.string(name)]).message(streamID: id, chunkStreamID: 8)])
        _ = try await waitForCommand { $0.name == "onStatus" && $0.arguments.first?["code"]?.string == "NetStream.Play.Start" }
        return id
    }
}
