import Access
import Config
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Server
import Synchronization
import Testing
import TestSupport

/// Access control through the real path: ffmpeg publishers over RTMP and SRT, a webhook served
/// by a tiny NIO HTTP server, and HLS fetched like a player.
@Suite(.serialized) struct AccessEndToEndTests {
    /// A server without transcoding (source only, to spare CPU) with `file` as its configuration.
    static func start(_ file: SluiceConfig) async throws -> ServerHarness {
        var config = SluiceServerConfiguration(host: "127.0.0.1", rtmpPort: 0, srtPort: 0, httpPort: 0, transcode: nil)
        config.file = file
        let server = SluiceServer(configuration: config, logger: Logger(label: "e2e-access"))
        try await server.start()
        let task = Task { try await server.run() }
        guard await eventually(within: 20, { server.httpPort != nil }), let port = server.httpPort else {
            task.cancel()
            throw ServerHarness.HarnessError.noHTTP
        }
        return ServerHarness(server: server, task: task, httpPort: port)
    }

    /// A small real-time test pattern, H.264 + AAC, to `url` in `format`.
    static func push(_ url: String, format: String = "flv", seconds: Int = 30) throws -> ExternalProcess {
        try ExternalProcess("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                                       "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
                                       "-t", "\(seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
                                       "-c:a", "aac", "-f", format, url])
    }

    static func rtmp(_ h: ServerHarness, _ name: String) -> String { "rtmp://127.0.0.1:\(h.server.rtmpPort!)/live/\(name)" }

    static func srt(_ h: ServerHarness, _ streamID: String) -> String {
        "srt://127.0.0.1:\(h.server.srtPort!)?streamid=\(streamID)&latency=120000&pkt_size=1316"
    }

    /// The publisher is refused: ffmpeg gives up, and nothing was published.
    static func expectRefused(_ p: ExternalProcess, _ h: ServerHarness, _ path: String, _ what: Comment) async {
        let status = await p.waitForExit(seconds: 20)
        #expect(status != 0, what)
        #expect(h.server.hub.stream(path) == nil, what)
    }

    static func expectPublishing(_ h: ServerHarness, _ path: String, _ p: ExternalProcess, _ what: Comment) async {
        let ok = await eventually(within: 20) { (h.server.hub.stream(path)?.unitsIn ?? 0) > 10 }
        #expect(ok, "\(what): \(p.errors)")
    }

    @Test func publishKeysOnRTMPAndSRTAndNoHijack() async throws {
        var file = SluiceConfig()
        file.auth.publish.keys = ["k1", "k2"]
        let h = try await Self.start(file)
        await Self.expectRefused(try Self.push(Self.rtmp(h, "nokey")), h, "live/nokey", "RTMP without a key")
        await Self.expectRefused(try Self.push(Self.rtmp(h, "bad?key=nope")), h, "live/bad", "RTMP with a wrong key")
        await Self.expectRefused(try Self.push(Self.srt(h, "live/srtnokey"), format: "mpegts"), h, "live/srtnokey", "SRT without a key")
        await Self.expectRefused(try Self.push(Self.srt(h, "live/srtbad?key=nope"), format: "mpegts"), h, "live/srtbad", "SRT with a wrong key")

        let legit = try Self.push(Self.rtmp(h, "show?key=k1"))
        defer { legit.kill() }
        await Self.expectPublishing(h, "live/show", legit, "RTMP with a good key")
        let srt = try Self.push(Self.srt(h, "%23%21%3A%3Ar%3Dlive%2Fsrtshow%2Cm%3Dpublish%2Ck%3Dk2"), format: "mpegts")
        defer { srt.kill() }
        await Self.expectPublishing(h, "live/srtshow", srt, "SRT with a good key in #!:: syntax")

        // A hijacker with another valid key, on either protocol, is refused; the show goes on.
        let stream = try #require(h.server.hub.stream("live/show"))
        let hijackRTMP = try Self.push(Self.rtmp(h, "show?key=k2"))
        #expect(await hijackRTMP.waitForExit(seconds: 20) != 0, "the RTMP hijacker was refused")
        let hijackSRT = try Self.push(Self.srt(h, "live/show?key=k2"), format: "mpegts")
        #expect(await hijackSRT.waitForExit(seconds: 20) != 0, "the SRT hijacker was refused")
        let before = stream.unitsIn
        #expect(await eventually(within: 10) { stream.unitsIn > before + 25 }, "the legit publisher continues")
        #expect(h.server.hub.stream("live/show") === stream && legit.isRunning)
        legit.kill()
        srt.kill()
        await h.stop()
    }

    @Test func hmacPublishTokensExpire() async throws {
        var file = SluiceConfig()
        file.auth.publish.hmacSecret = "hmac-secret"
        let h = try await Self.start(file)
        let expired = AccessToken.query(secret: "hmac-secret", action: .publish, path: "live/t", ttl: 10, now: AccessToken.now() - 60)
        await Self.expectRefused(try Self.push(Self.rtmp(h, "t?\(expired)")), h, "live/t", "RTMP with an expired token")
        let forged = AccessToken.query(secret: "other", action: .publish, path: "live/t", ttl: 60)
        await Self.expectRefused(try Self.push(Self.srt(h, "live/t?\(forged)"), format: "mpegts"), h, "live/t", "SRT with a forged token")
        let good = AccessToken.query(secret: "hmac-secret", action: .publish, path: "live/t", ttl: 60)
        let p = try Self.push(Self.rtmp(h, "t?\(good)"))
        defer { p.kill() }
        await Self.expectPublishing(h, "live/t", p, "RTMP with a good token")
        p.kill()
        await h.stop()
    }

    @Test func theWebhookDecidesAndFailOpenCoversAnUnreachableOne() async throws {
        let hook = try await Webhook.start(status: .forbidden)
        var file = SluiceConfig()
        file.auth.webhook.url = "http://127.0.0.1:\(hook.port)/on_publish"
        file.auth.webhook.timeoutMs = 1000
        let h = try await Self.start(file)
        await Self.expectRefused(try Self.push(Self.rtmp(h, "hooked?user=bob")), h, "live/hooked", "RTMP refused by the webhook")
        await Self.expectRefused(try Self.push(Self.srt(h, "live/hookedsrt"), format: "mpegts"), h, "live/hookedsrt",
                                 "SRT refused by the webhook")
        let asked = hook.requests
        let first = try #require(asked.first)
        #expect(first["action"] == "publish" && first["path"] == "live/hooked" && first["query"] == "user=bob" && first["protocol"] == "rtmp")
        #expect(first["remote"]?.hasPrefix("127.0.0.1:") == true, "\(first)")
        #expect(asked.contains { $0["protocol"] == "srt" && $0["path"] == "live/hookedsrt" })

        // The hook allows now.
        hook.status.withLock { $0 = .noContent }
        let allowed = try Self.push(Self.rtmp(h, "hooked"))
        await Self.expectPublishing(h, "live/hooked", allowed, "RTMP allowed by the webhook")
        allowed.kill()

        // Unreachable: failOpen decides (a reload applies to the next publish).
        var unreachable = file
        unreachable.auth.webhook.url = "http://127.0.0.1:\(try ClosedPort.make())/on_publish"
        h.server.config.replace(with: unreachable)
        await Self.expectRefused(try Self.push(Self.rtmp(h, "closed")), h, "live/closed", "failOpen false")
        unreachable.auth.webhook.failOpen = true
        h.server.config.replace(with: unreachable)
        let open = try Self.push(Self.rtmp(h, "open"))
        await Self.expectPublishing(h, "live/open", open, "failOpen true")
        open.kill()
        await h.stop()
        try await hook.stop()
    }

    @Test func signedHLSURLsCarryASharedTokenAndRTMPPlayNeedsOne() async throws {
        var file = SluiceConfig()
        file.auth.play.signingSecret = "play-secret"
        let h = try await Self.start(file)
        let p = try Self.push(Self.rtmp(h, "signed"))
        defer { p.kill() }
        await Self.expectPublishing(h, "live/signed", p, "open publish")
        let token = AccessToken.query(secret: "play-secret", action: .play, path: "live/signed", ttl: 300)
        var master = ""
        for _ in 0..<40 where !master.contains("#EXT-X-STREAM-INF") {
            try await Task.sleep(for: .milliseconds(250))
            master = await h.get("live/signed/index.m3u8?\(token)").body
        }
        let variant = try #require(master.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.isEmpty }, "\(master)")
        #expect(variant.hasPrefix("source/index.m3u8?st="), "\(master)")

        #expect(await h.get("live/signed/index.m3u8").status == 403)
        let forged = AccessToken.query(secret: "guess", action: .play, path: "live/signed", ttl: 300)
        #expect(await h.get("live/signed/index.m3u8?\(forged)").status == 403)
        let expired = AccessToken.query(secret: "play-secret", action: .play, path: "live/signed", ttl: 1, now: AccessToken.now() - 60)
        let expiredAnswer = await h.get("live/signed/index.m3u8?\(expired)")
        #expect(expiredAnswer.status == 403 && expiredAnswer.body.contains("expired"))
        // The shared token does not open the multivariant playlist: that needs a viewer's own.
        let shared = String(variant.split(separator: "?")[1])
        #expect(await h.get("live/signed/index.m3u8?\(shared)").status == 403)

        // The media playlist lists every URI with the same shared token, and they work.
        var media = ""
        for _ in 0..<40 where !media.contains("#EXT-X-PART:") {
            try await Task.sleep(for: .milliseconds(250))
            media = await h.get("live/signed/\(variant)").body
        }
        #expect(media.contains("#EXT-X-MAP:URI=\"init") && media.contains("?\(shared)\""), "\(media)")
        let partURIs = media.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-PART:") }.compactMap { line in
            line.split(separator: "URI=\"").last?.split(separator: "\"").first.map(String.init)
        }
        #expect(!partURIs.isEmpty && partURIs.allSatisfy { $0.hasSuffix("?\(shared)") }, "\(media)")
        let hint = media.split(separator: "\n").first { $0.hasPrefix("#EXT-X-PRELOAD-HINT") }
        #expect(hint?.contains("?\(shared)\"") == true, "\(media)")
        let part = try #require(partURIs.first)
        #expect(await h.get("live/signed/source/\(part)").status == 200)
        let bare = String(part.split(separator: "?")[0])
        #expect(await h.get("live/signed/source/\(bare)").status == 403)
        #expect(await h.get("live/signed/source/index.m3u8").status == 403)
        #expect(await h.get("live/signed/source/index.m3u8?\(token)").status == 200) // the personal token works too

        // RTMP play checks the same personal token.
        let rtmpPort = try #require(h.server.rtmpPort)
        let denied = try ExternalProcess("ffprobe", ["-v", "error", "-rw_timeout", "10000000", "rtmp://127.0.0.1:\(rtmpPort)/live/signed"])
        #expect(await denied.waitForExit(seconds: 20) != 0)
        let allowed = try ExternalProcess("ffprobe", ["-v", "error", "-rw_timeout", "10000000", "-show_entries", "stream=codec_name",
                                                      "-of", "csv=p=0", "rtmp://127.0.0.1:\(rtmpPort)/live/signed?\(token)"])
        #expect(await allowed.waitForExit(seconds: 30) == 0, "\(allowed.errors)")
        #expect(allowed.output.contains("h264"), "\(allowed.output)")
        p.kill()
        await h.stop()
    }

    /// hls.js follows the shared-token URLs: variant playlist, blocking reloads, parts.
    @Test(.enabled(if: Player.isAvailable, "needs Debian chromium"))
    func hlsJsPlaysASignedStream() async throws {
        var file = SluiceConfig()
        file.auth.play.signingSecret = "play-secret"
        let h = try await Self.start(file)
        let p = try Self.push(Self.rtmp(h, "signedjs"))
        defer { p.kill() }
        await Self.expectPublishing(h, "live/signedjs", p, "open publish")
        let token = AccessToken.query(secret: "play-secret", action: .play, path: "live/signedjs", ttl: 300)
        #expect(await eventually(within: 20) { h.server.registry.stream("live/signedjs") != nil })
        let r = try await Player.play(h.url("live/signedjs/index.m3u8?\(token)"), seconds: 6)
        print("hls.js on a signed stream: \(r.summary)")
        #expect(r.fatal == nil, "\(r.errors)")
        #expect(r.partsLoaded > 0 && r.blockingReloads > 0)
        #expect((r.decodedFrames ?? 0) > 0)
        p.kill()
        await h.stop()
    }

    @Test func connectionsPerIPAndPublishersAreLimited() async throws {
        var file = SluiceConfig()
        file.limits.maxConnectionsPerIP = 2
        file.limits.connectionLimitExempt = [] // loopback is exempt by default
        file.limits.maxPublishers = 1
        let h = try await Self.start(file)
        let p = try Self.push(Self.rtmp(h, "one"))
        defer { p.kill() }
        await Self.expectPublishing(h, "live/one", p, "the first publisher")
        await Self.expectRefused(try Self.push(Self.rtmp(h, "two")), h, "live/two", "beyond maxPublishers")
        // HTTP: two connections stay open, the third from the same address is closed at once.
        let held = try (0..<2).map { _ in try RawConnection(port: h.httpPort) }
        let third = try RawConnection(port: h.httpPort)
        #expect(third.readsEOF(), "the third connection was closed")
        #expect(!held[0].readsEOF(timeoutMs: 200), "the first two stay open")
        for c in held + [third] { c.close() }
        p.kill()
        await h.stop()
    }
}

/// A plain TCP connection, to count against the per-IP limit.
final class RawConnection {
    let fd: Int32
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let ok = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if !ok { Glibc.close(fd); throw POSIXError(.ECONNREFUSED) }
    }

    /// Whether the server closes the connection within `timeoutMs` (read returns 0 or an error).
    func readsEOF(timeoutMs: Int32 = 5000) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeoutMs) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) <= 0
    }

    func close() { Glibc.close(fd) }
}

/// The access webhook's peer: answers every POST with `status` and records the JSON bodies.
final class Webhook: Sendable {
    let channel: any Channel
    let status: Mutex<HTTPResponseStatus>
    private let seen = Mutex<[[String: String]]>([])
    var port: Int { channel.localAddress?.port ?? 0 }
    var requests: [[String: String]] { seen.withLock { $0 } }

    private init(channel: any Channel, status: HTTPResponseStatus) {
        self.channel = channel
        self.status = Mutex(status)
    }

    static func start(status: HTTPResponseStatus) async throws -> Webhook {
        let box = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let hook = Webhook(channel: channel, status: status)
        box.hook.withLock { $0 = hook }
        return hook
    }

    func stop() async throws { try await channel.close() }

    final class Box: Sendable { let hook = Mutex<Webhook?>(nil) }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let box: Box
        var body = ByteBuffer()
        init(box: Box) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: body.clear()
            case .body(var b): body.writeBuffer(&b)
            case .end:
                guard let hook = box.hook.withLock({ $0 }) else { return }
                if let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: String] {
                    hook.seen.withLock { $0.append(json) }
                }
                let head = HTTPResponseHead(version: .http1_1, status: hook.status.withLock { $0 },
                                            headers: ["Content-Length": "0"])
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
