import HLS
import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import Origin
import Testing
import TestSupport

/// The event-loop fast path on an EmbeddedChannel: what it answers, what it passes on, and
/// that responses keep request order.
@Suite struct OriginFastPathTests {
    static let media = TestMedia.fourSeconds

    /// `live/cam` rendition `src` fed `fraction` of the test media, left live.
    static func registry(fraction: Double = 1) throws -> (HLSRegistry, HLSRendition) {
        let registry = HLSRegistry(joinWait: .zero) // a missing stream answers 404 at once
        let r = try registry.stream(path: "live/cam").rendition(name: "src", tracks: media.tracks, isSource: true)
        for u in media.units.prefix(Int(Double(media.units.count) * fraction)) { try r.write(u) }
        return (registry, r)
    }

    static func channel(_ registry: HLSRegistry) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: OriginFastPath(registry: registry, serverName: "sluice"))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func request(_ channel: EmbeddedChannel, _ uri: String, method: HTTPMethod = .GET,
                        version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:]) throws {
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: version, method: method, uri: uri, headers: headers)))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
    }

    /// One whole response from the outbound side: head and body bytes; nil if none is there.
    static func response(_ channel: EmbeddedChannel) throws -> (head: HTTPResponseHead, body: ByteBuffer)? {
        guard case .head(let head) = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        var body = ByteBuffer()
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case .body(.byteBuffer(var b)): body.writeBuffer(&b)
            case .end: return (head, body)
            default: Issue.record("unexpected \(part)")
            }
        }
        Issue.record("response without end")
        return (head, body)
    }

    @Test func aPartIsAnsweredOnTheLoopWithTheOriginHeaders() throws {
        let (registry, r) = try Self.registry()
        let part = try #require(r.timeline.segments.last?.parts.last)
        let channel = try Self.channel(registry)
        try Self.request(channel, "/live/cam/src/part\(part.id).m4s")
        let (head, body) = try #require(try Self.response(channel))
        #expect(head.status == .ok)
        #expect(body == part.data)
        #expect(head.headers["Content-Length"] == ["\(part.data.readableBytes)"])
        #expect(head.headers["Content-Type"] == ["video/mp4"])
        #expect(head.headers["Cache-Control"] == ["public, max-age=31536000, immutable"])
        #expect(head.headers["Access-Control-Allow-Origin"] == ["*"])
        #expect(head.headers["Timing-Allow-Origin"] == ["*"])
        #expect(head.headers["Server"] == ["sluice"])
        #expect(head.headers["Date"].first?.hasSuffix(" GMT") == true)
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil, "nothing reached the router")
        #expect(channel.isActive)
    }

    @Test func headGetsTheHeadersWithoutTheBody() throws {
        let (registry, r) = try Self.registry()
        let seg = try #require(r.timeline.segments.first { $0.complete })
        let channel = try Self.channel(registry)
        try Self.request(channel, "/live/cam/src/seg\(seg.msn).m4s", method: .HEAD)
        let (head, body) = try #require(try Self.response(channel))
        #expect(head.status == .ok)
        #expect(head.headers["Content-Length"] == ["\(seg.data.readableBytes)"])
        #expect(body.readableBytes == 0)
    }

    @Test func playlistsAndMissingThingsMatchTheRouter() throws {
        let (registry, _) = try Self.registry()
        let channel = try Self.channel(registry)
        try Self.request(channel, "/live/cam/src/index.m3u8", headers: ["Accept-Encoding": "gzip"])
        let (head, body) = try #require(try Self.response(channel))
        #expect(head.headers["Content-Encoding"] == ["gzip"])
        #expect(head.headers["Vary"] == ["Accept-Encoding"])
        #expect(head.headers["Content-Type"] == ["application/vnd.apple.mpegurl"])
        #expect(body.readableBytes > 0)
        for uri in ["/live/cam/src/seg999.m4s", "/live/other/index.m3u8", "/live/cam/src/x.ts"] {
            try Self.request(channel, uri)
            let (missing, _) = try #require(try Self.response(channel))
            #expect(missing.status == .notFound, "\(uri)")
            #expect(missing.headers["Cache-Control"] == ["no-cache"])
        }
        try Self.request(channel, "/live/cam/src/index.m3u8?_HLS_part=1")
        #expect(try Self.response(channel)?.head.status == .badRequest)
    }

    @Test func otherRequestsPassThroughToTheRouter() throws {
        let (registry, _) = try Self.registry()
        let channel = try Self.channel(registry)
        try Self.request(channel, "/api/v1/streams")
        try Self.request(channel, "/live/cam/src/index.m3u8", method: .OPTIONS)
        guard case .head(let first) = try channel.readInbound(as: HTTPServerRequestPart.self) else { Issue.record("no head"); return }
        #expect(first.uri == "/api/v1/streams")
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == .end(nil))
        // The second request waits for the router's answer to the first.
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil)
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        guard case .head(let second) = try channel.readInbound(as: HTTPServerRequestPart.self) else { Issue.record("no head"); return }
        #expect(second.method == .OPTIONS)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let (registry, r) = try Self.registry()
        let part = try #require(r.timeline.segments.last?.parts.last)
        let channel = try Self.channel(registry)
        try Self.request(channel, "/api/v1/streams")
        try Self.request(channel, "/live/cam/src/part\(part.id).m4s")
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil, "the part must wait for the router's answer")
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .accepted)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try Self.response(channel)?.head.status == .accepted)
        #expect(try Self.response(channel)?.body == part.data)
    }

    @Test func aHintedPartIsHeldUntilItIsPublished() throws {
        let (registry, r) = try Self.registry(fraction: 0.5)
        let hinted = r.timeline.nextPartID
        let channel = try Self.channel(registry)
        try Self.request(channel, "/live/cam/src/part\(hinted).m4s")
        try Self.request(channel, "/live/cam/src/init0.mp4")
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil, "held")
        for u in Self.media.units.dropFirst(Self.media.units.count / 2) { try r.write(u) }
        channel.embeddedEventLoop.run()
        let (held, body) = try #require(try Self.response(channel))
        #expect(held.status == .ok)
        #expect(body == r.timeline.part(id: hinted)?.data)
        #expect(try Self.response(channel)?.head.status == .ok, "the request behind it follows")
    }

    @Test func connectionCloseIsHonoured() throws {
        let (registry, _) = try Self.registry()
        let channel = try Self.channel(registry)
        try Self.request(channel, "/live/cam/src/init0.mp4", headers: ["Connection": "close"])
        let (head, _) = try #require(try Self.response(channel))
        #expect(head.headers["Connection"] == ["close"])
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)

        let old = try Self.channel(registry)
        try Self.request(old, "/live/cam/src/init0.mp4", version: .http1_0)
        #expect(try Self.response(old)?.head.version == .http1_0)
        old.embeddedEventLoop.run()
        #expect(!old.isActive, "HTTP/1.0 without keep-alive closes")
    }

    @Test func aClientThatPipelinesWithoutReadingIsCutOff() throws {
        let (registry, _) = try Self.registry()
        let channel = try Self.channel(registry)
        try Self.request(channel, "/api/v1/streams") // held by the router: everything after it queues
        #expect(throws: OriginFastPath.PipelineOverflow.self) {
            for _ in 0...OriginFastPath.maxQueuedParts { try Self.request(channel, "/live/cam/src/init0.mp4") }
        }
        #expect(!channel.isActive)
    }

    @Test func hostileURLsGetAnErrorAndTheConnectionKeepsServing() throws {
        let (registry, _) = try Self.registry()
        let channel = try Self.channel(registry)
        let hostile: [(String, HTTPResponseStatus)] = [
            ("/live/cam/src/part99999999999999999999999999.m4s", .notFound),
            ("/live/cam/src/part-1.m4s", .notFound),
            ("/live/cam/src/seg%00.m4s", .notFound),
            ("/%ff%fe/../../etc/passwd.ts", .notFound),
            ("//////index.m3u8", .notFound),
            ("/live/cam/src/index.m3u8?_HLS_msn=99999999999999999999999", .badRequest),
            ("/live/cam/src/index.m3u8?_HLS_msn=-1", .badRequest),
            ("/live/cam/src/index.m3u8?_HLS_msn=1&_HLS_part=", .badRequest),
            ("/live/cam/src/index.m3u8?" + String(repeating: "a=b&", count: 2000), .ok),
        ]
        for (uri, status) in hostile {
            try Self.request(channel, uri)
            #expect(try Self.response(channel)?.head.status == status, "\(uri.prefix(80))")
        }
        try Self.request(channel, "/live/cam/src/init0.mp4")
        #expect(try Self.response(channel)?.head.status == .ok)
        #expect(channel.isActive)
    }
}
