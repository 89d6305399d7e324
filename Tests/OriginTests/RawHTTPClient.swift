import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP client that sends exactly the bytes a test asks for (partial heads,
/// pipelined requests, no reading) and collects what the origin answers.
final class RawHTTPClient: Sendable {
    final class Inbox: Sendable {
        struct State {
            var bytes = ByteBuffer()
            /// Complete responses parsed so far (taken from the front of `bytes`).
            var responses: [(status: Int, headers: [String: String], body: String)] = []
            var received = 0
            var closed = false
        }
        let state = Mutex(State())
    }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox
        init(_ inbox: Inbox) { self.inbox = inbox }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            inbox.state.withLock { s in
                s.received += b.readableBytes
                s.bytes.writeBuffer(&b)
                s.responses += RawHTTPClient.parse(&s.bytes)
            }
        }
        func channelInactive(context: ChannelHandlerContext) {
            inbox.state.withLock { $0.closed = true }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil) // a reset counts as closed
        }
    }

    let channel: any Channel
    let inbox: Inbox

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// `reading: false` starts without reading the socket (and with a small receive buffer),
    /// as a client that pipelines requests and never reads the answers.
    static func connect(port: Int, reading: Bool = true) async throws -> RawHTTPClient {
        let inbox = Inbox()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reading)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Collector(inbox)) }
            }
        if !reading {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: 65_536)
                .channelOption(.socketOption(.so_sndbuf), value: 65_536)
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        return RawHTTPClient(channel: channel, inbox: inbox)
    }

    var isClosed: Bool { inbox.state.withLock { $0.closed } }
    /// Whether anything at all was received.
    var receivedNothing: Bool { inbox.state.withLock { $0.received == 0 } }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    func startReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
        channel.read()
    }

    func close() async {
        try? await channel.close() // may already be closed by the server
    }

    /// Polls (every 10 ms, at most `seconds`) until `condition` holds; false on timeout.
    func waitFor(seconds: Double = 10, _ condition: (Inbox.State) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !inbox.state.withLock({ condition($0) }) {
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    func waitUntilClosed(seconds: Double = 10) async -> Bool {
        await waitFor(seconds: seconds) { $0.closed }
    }

    /// Waits for `count` complete responses (by status line and Content-Length); returns them.
    func responses(_ count: Int, seconds: Double = 10) async -> [(status: Int, headers: [String: String], body: String)] {
        _ = await waitFor(seconds: seconds) { s in s.responses.count >= count || s.closed }
        return inbox.state.withLock { $0.responses }
    }

    /// Takes the complete responses off the front of `b`.
    static func parse(_ b: inout ByteBuffer) -> [(status: Int, headers: [String: String], body: String)] {
        var out: [(Int, [String: String], String)] = []
        while let end = b.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) {
            let headLength = end.upperBound - b.readerIndex
            let head = b.getString(at: b.readerIndex, length: headLength)!
            var lines = head.components(separatedBy: "\r\n")
            let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
            var headers: [String: String] = [:]
            for l in lines where l.contains(":") {
                let kv = l.split(separator: ":", maxSplits: 1)
                headers[kv[0].lowercased()] = kv[1].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            guard b.readableBytes >= headLength + length else { break }
            b.moveReaderIndex(forwardBy: headLength)
            out.append((status, headers, b.readString(length: length)!))
        }
        b.discardReadBytes()
        return out
    }
}
