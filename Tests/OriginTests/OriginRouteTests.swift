import CZlib
import HLS
import Hummingbird
import HummingbirdTesting
import MediaCore
import NIOCore
@testable import Origin
import Testing
import TestSupport

/// The origin's HTTP behaviour through Hummingbird's router tester (no socket).
@Suite struct OriginRouteTests {
    static let media = TestMedia.fourSeconds

    /// A registry with `live/cam` (rendition `src`) fed the whole test media, left live.
    static func registry() throws -> (HLSRegistry, HLSRendition) {
        let registry = HLSRegistry(joinWait: .zero) // a missing stream answers 404 at once
        let stream = registry.stream(path: "live/cam")
        let r = try stream.rendition(name: "src", tracks: media.tracks, isSource: true)
        for u in media.units { try r.write(u) }
        return (registry, r)
    }

    func withApp(_ registry: HLSRegistry, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router()
        OriginRoutes.register(on: router, registry: registry)
        try await Application(router: router).test(.router) { client in try await body(client) }
    }

    @Test func urlsParse() {
        let live: (String) -> Bool = { $0 == "live/cam" || $0 == "a/b/c" }
        #expect(OriginRequest(path: "/live/cam/index.m3u8", isStream: live) == .multivariant(stream: "live/cam"))
        #expect(OriginRequest(path: "/a/b/c/index.m3u8", isStream: live) == .multivariant(stream: "a/b/c"))
        #expect(OriginRequest(path: "/live/cam/src/index.m3u8", isStream: live) == .mediaPlaylist(stream: "live/cam", rendition: "src"))
        #expect(OriginRequest(path: "/live/cam/src/part12.m4s", isStream: live) == .part(stream: "live/cam", rendition: "src", id: 12))
        #expect(OriginRequest(path: "/live/cam/src/seg3.m4s", isStream: live) == .segment(stream: "live/cam", rendition: "src", msn: 3))
        #expect(OriginRequest(path: "/live/cam/src/init0.mp4", isStream: live) == .initSegment(stream: "live/cam", rendition: "src", id: 0))
        #expect(OriginRequest(path: "/live/cam/src/seg-1.m4s", isStream: live) == nil)
        #expect(OriginRequest(path: "/live/cam/src/segx.m4s", isStream: live) == nil)
        #expect(OriginRequest(path: "/favicon.ico", isStream: live) == nil)
    }

    @Test func playlistsCarryTypeCacheAndCORSHeaders() async throws {
        let (registry, r) = try Self.registry()
        let latest = try #require(r.timeline.latest)
        try await withApp(registry) { client in
            try await client.execute(uri: "/live/cam/index.m3u8", method: .get) { res in
                #expect(res.status == .ok)
                #expect(res.headers[.contentType] == "application/vnd.apple.mpegurl")
                #expect(res.headers[.cacheControl] == "public, max-age=2")
                #expect(res.headers[.accessControlAllowOrigin] == "*")
                #expect(String(buffer: res.body).contains("src/index.m3u8"))
            }
            try await client.execute(uri: "/live/cam/src/index.m3u8", method: .get) { res in
                #expect(res.status == .ok)
                #expect(res.headers[.cacheControl] == "no-cache")
                #expect(String(buffer: res.body).hasPrefix("#EXTM3U\n"))
            }
            try await client.execute(uri: "/live/cam/src/index.m3u8?_HLS_msn=\(latest.msn)&_HLS_part=\(latest.part)", method: .get) { res in
                #expect(res.status == .ok)
                #expect(res.headers[.cacheControl] == "public, max-age=2")
            }
        }
    }

    @Test func mediaIsImmutableAndMissingThingsAre404() async throws {
        let (registry, r) = try Self.registry()
        let t = r.timeline
        let seg = try #require(t.segments.first { $0.complete })
        let part = try #require(t.segments.last?.parts.last)
        try await withApp(registry) { client in
            for uri in ["/live/cam/src/init0.mp4", "/live/cam/src/seg\(seg.msn).m4s", "/live/cam/src/part\(part.id).m4s"] {
                try await client.execute(uri: uri, method: .get) { res in
                    #expect(res.status == .ok)
                    #expect(res.headers[.cacheControl] == "public, max-age=31536000, immutable")
                    #expect(res.headers[.contentType] == "video/mp4")
                    #expect(res.body.readableBytes > 0)
                }
            }
            try await client.execute(uri: "/live/cam/src/seg\(seg.msn).m4s", method: .get) { res in
                #expect(res.body == seg.data)
            }
            for uri in ["/live/cam/src/init9.mp4", "/live/cam/src/seg999.m4s", "/live/cam/src/part\(t.nextPartID + 1).m4s",
                        "/live/cam/nope/index.m3u8", "/live/other/index.m3u8", "/live/cam/src/x.ts", "/x"] {
                try await client.execute(uri: uri, method: .get) { res in
                    #expect(res.status == .notFound, "\(uri)")
                    #expect(res.headers[.cacheControl] == "no-cache")
                }
            }
        }
    }

    @Test func badDirectivesAre400() async throws {
        let (registry, r) = try Self.registry()
        let last = r.timeline.lastMSN
        try await withApp(registry) { client in
            for q in ["_HLS_part=1", "_HLS_msn=\(last + 3)", "_HLS_msn=abc", "_HLS_msn=\(last)&_HLS_part=99"] {
                try await client.execute(uri: "/live/cam/src/index.m3u8?\(q)", method: .get) { res in
                    #expect(res.status == .badRequest, "\(q)")
                }
            }
        }
    }

    @Test func corsPreflightIsAnswered() async throws {
        let (registry, _) = try Self.registry()
        try await withApp(registry) { client in
            try await client.execute(uri: "/live/cam/src/index.m3u8", method: .options,
                                     headers: [.accessControlRequestHeaders: "x-player", .accessControlRequestMethod: "GET"]) { res in
                #expect(res.status == .noContent)
                #expect(res.headers[.accessControlAllowOrigin] == "*")
                #expect(res.headers[.accessControlAllowHeaders] == "x-player")
                #expect(res.headers[.accessControlAllowMethods] == "GET, OPTIONS")
            }
        }
    }

    @Test func acceptEncodingIsReadWithQValues() {
        #expect(OriginResponder.acceptsGzip("gzip, deflate, br"))
        #expect(OriginResponder.acceptsGzip("deflate, GZIP;q=0.5"))
        #expect(OriginResponder.acceptsGzip("*"))
        #expect(!OriginResponder.acceptsGzip("gzip;q=0"))
        #expect(!OriginResponder.acceptsGzip("identity"))
        #expect(!OriginResponder.acceptsGzip("x-gzipish"))
    }

    @Test func playlistsAreGzippedForClientsThatAcceptIt() async throws {
        let (registry, _) = try Self.registry()
        try await withApp(registry) { client in
            let plain = try await client.execute(uri: "/live/cam/src/index.m3u8", method: .get) { String(buffer: $0.body) }
            try await client.execute(uri: "/live/cam/src/index.m3u8", method: .get, headers: [.acceptEncoding: "gzip, deflate"]) { res in
                #expect(res.headers[.contentEncoding] == "gzip")
                #expect(res.headers[.vary] == "Accept-Encoding")
                #expect(res.body.getBytes(at: res.body.readerIndex, length: 2) == [0x1F, 0x8B])
                #expect(res.body.readableBytes < plain.utf8.count)
                #expect(gunzip(res.body) == plain)
            }
        }
    }

    @Test func endedStreamDropsTheHintAndIgnoresDirectives() async throws {
        let (registry, r) = try Self.registry()
        r.end()
        try await withApp(registry) { client in
            try await client.execute(uri: "/live/cam/src/index.m3u8?_HLS_msn=\(r.timeline.lastMSN + 2)", method: .get) { res in
                #expect(res.status == .ok)
                let text = String(buffer: res.body)
                #expect(text.hasSuffix("#EXT-X-ENDLIST\n"))
                #expect(!text.contains("PRELOAD-HINT"))
            }
            try await client.execute(uri: "/live/cam/src/part\(r.timeline.nextPartID).m4s", method: .get) { res in
                #expect(res.status == .notFound)
            }
        }
    }
}

/// Inflates a gzip body with zlib, to check the origin's gzip round-trips.
func gunzip(_ input: ByteBuffer) -> String {
    var stream = z_stream()
    precondition(inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { inflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: 1 << 20)
    var bytes = Array(input.readableBytesView)
    let produced = bytes.withUnsafeMutableBufferPointer { inp in
        out.withUnsafeMutableBufferPointer { o in
            stream.next_in = inp.baseAddress
            stream.avail_in = uInt(inp.count)
            stream.next_out = o.baseAddress
            stream.avail_out = uInt(o.count)
            precondition(inflate(&stream, Z_FINISH) == Z_STREAM_END)
            return Int(stream.total_out)
        }
    }
    return String(decoding: out[..<produced], as: UTF8.self)
}
