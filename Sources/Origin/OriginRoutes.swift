import HLS
import Hummingbird
import NIOCore

/// The LL-HLS origin's routes: playlists (blocking, gzip), init segments, segments, parts.
public enum OriginRoutes {
    /// Registers `GET /**` on `router`: anything that is not an HLS URL of a live stream is 404.
    public static func register<Context: RequestContext>(on router: Router<Context>, registry: HLSRegistry) {
        router.get("**") { request, _ -> Response in
            var query: [String: String] = [:]
            for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
            let gzip = request.headers[.acceptEncoding].map { $0.contains("gzip") } ?? false
            return await respond(path: request.uri.path, query: query, acceptsGzip: gzip, registry: registry)
        }
    }

    static let immutable = "public, max-age=31536000, immutable"

    static func respond(path: String, query: [String: String], acceptsGzip: Bool, registry: HLSRegistry) async -> Response {
        guard let request = OriginRequest(path: path, isStream: { registry.stream($0) != nil }) else { return status(.notFound) }
        switch request {
        case .multivariant(let path):
            guard let body = await registry.stream(path)?.multivariantPlaylist() else { return status(.notFound) }
            return playlist(body, cache: "public, max-age=2", gzip: acceptsGzip)
        case .mediaPlaylist(let path, let name):
            guard let rendition = registry.stream(path)?.rendition(named: name) else { return status(.notFound) }
            guard let directives = PlaylistRequest.parse(query) else { return status(.badRequest, "bad delivery directives") }
            switch await rendition.playlist(directives) {
            case .ok(let body):
                // A blocking answer names a fixed point of the stream: briefly cacheable by an edge.
                let cache = directives.msn != nil ? "public, max-age=\(rendition.configuration.targetDuration)" : "no-cache"
                return playlist(body, cache: cache, gzip: acceptsGzip)
            case .badRequest(let why): return status(.badRequest, why)
            case .unavailable: return status(.serviceUnavailable)
            case .notFound: return status(.notFound)
            }
        case .legacyMultivariant(let path):
            guard let body = await registry.stream(path)?.legacyMultivariantPlaylist() else { return status(.notFound) }
            return playlist(body, cache: "public, max-age=2", gzip: acceptsGzip)
        case .legacyPlaylist(let path, let name):
            guard let body = registry.stream(path)?.rendition(named: name)?.legacyPlaylist() else { return status(.notFound) }
            return playlist(body, cache: "no-cache", gzip: acceptsGzip)
        case .legacySegment(let path, let name, let msn):
            guard let data = registry.stream(path)?.rendition(named: name)?.legacySegment(msn: msn) else { return status(.notFound) }
            return media(data, contentType: "video/mp2t")
        case .initSegment(let path, let name, let id):
            guard let data = registry.stream(path)?.rendition(named: name)?.initSegment(id: id) else { return status(.notFound) }
            return media(data)
        case .segment(let path, let name, let msn):
            guard let data = registry.stream(path)?.rendition(named: name)?.segment(msn: msn) else { return status(.notFound) }
            return media(data)
        case .part(let path, let name, let id):
            guard let rendition = registry.stream(path)?.rendition(named: name) else { return status(.notFound) }
            switch await rendition.part(id: id) {
            case .ok(let data): return media(data)
            case .unavailable: return status(.serviceUnavailable)
            case .badRequest(let why): return status(.badRequest, why)
            case .notFound: return status(.notFound)
            }
        }
    }

    static func playlist(_ body: PlaylistBody, cache: String, gzip: Bool) -> Response {
        var headers = common(contentType: "application/vnd.apple.mpegurl", cache: cache)
        headers[.vary] = "Accept-Encoding"
        if gzip {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body.compressed { Gzip.compress($0) }))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body.bytes))
    }

    static func media(_ data: ByteBuffer, contentType: String = "video/mp4") -> Response {
        Response(status: .ok, headers: common(contentType: contentType, cache: immutable), body: .init(byteBuffer: data))
    }

    static func status(_ status: HTTPResponse.Status, _ text: String? = nil) -> Response {
        // Errors must not be cached: the thing may exist a moment later.
        var headers = common(contentType: "text/plain; charset=utf-8", cache: "no-cache")
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: (text ?? status.reasonPhrase) + "\n")))
    }

    static func common(contentType: String, cache: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = cache
        headers[.accessControlAllowOrigin] = "*"
        return headers
    }
}
