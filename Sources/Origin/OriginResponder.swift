import HLS
import HTTPTypes
import NIOCore

/// One origin answer, independent of the HTTP stack that writes it (Hummingbird's router or the
/// event-loop fast path): status, the few headers the origin sets, and the body.
public struct OriginReply: Sendable {
    public var status: HTTPResponse.Status
    public var contentType: String
    public var cacheControl: String
    /// Playlists vary by Accept-Encoding; `gzip` says the body is gzip-encoded.
    public var varyByEncoding = false
    public var gzip = false
    public var body: ByteBuffer

    /// Every reply allows any origin: players run on other sites than the origin's.
    public static let allowOrigin = "*"

    /// The origin's headers for this reply (Content-Length and Date are the writer's), in one
    /// place for both writers: Hummingbird's router and the event-loop fast path.
    public var headers: [(name: String, value: String)] {
        var out = [("Content-Type", contentType), ("Cache-Control", cacheControl),
                   ("Access-Control-Allow-Origin", Self.allowOrigin)]
        if varyByEncoding { out.append(("Vary", "Accept-Encoding")) }
        if gzip { out.append(("Content-Encoding", "gzip")) }
        return out
    }

    /// `headers` as swift-http-types fields.
    public var fields: HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return fields
    }
}

/// The origin's behaviour for one GET, answered through a callback so an event loop can hold
/// a blocking request without a task: at once, or later on the thread that publishes the part
/// the request waits for.
public enum OriginResponder {
    static let immutable = "public, max-age=31536000, immutable"

    /// Whether `path` is an HLS URL this origin answers (else another route may).
    static func handles(path: Substring) -> Bool {
        path.hasSuffix(".m3u8") || path.hasSuffix(".m4s") || path.hasSuffix(".mp4") || path.hasSuffix(".ts")
    }

    /// Answers `GET path?query` from `registry` through `reply` (called exactly once).
    public static func respond(path: String, query: [String: String], acceptsGzip: Bool, registry: HLSRegistry,
                               reply: @escaping @Sendable (OriginReply) -> Void) {
        guard let request = OriginRequest(path: path, isStream: { registry.stream($0) != nil }) else {
            return reply(status(.notFound))
        }
        let playlistReply: @Sendable (PlaylistBody?, String) -> Void = { body, cache in
            reply(body.map { playlist($0, cache: cache, gzip: acceptsGzip) } ?? status(.notFound))
        }
        switch request {
        case .multivariant(let path):
            guard let stream = registry.stream(path) else { return reply(status(.notFound)) }
            stream.multivariantPlaylist { playlistReply($0, "public, max-age=2") }
        case .mediaPlaylist(let path, let name):
            guard let rendition = registry.stream(path)?.rendition(named: name) else { return reply(status(.notFound)) }
            guard let directives = PlaylistRequest.parse(query) else { return reply(status(.badRequest, "bad delivery directives")) }
            // A blocking answer names a fixed point of the stream: briefly cacheable by an edge.
            let cache = directives.msn != nil ? "public, max-age=\(rendition.configuration.targetDuration)" : "no-cache"
            rendition.playlist(directives) { answer in
                switch answer {
                case .ok(let body): reply(playlist(body, cache: cache, gzip: acceptsGzip))
                case .badRequest(let why): reply(status(.badRequest, why))
                case .unavailable: reply(status(.serviceUnavailable))
                case .notFound: reply(status(.notFound))
                }
            }
        case .legacyMultivariant(let path):
            guard let stream = registry.stream(path) else { return reply(status(.notFound)) }
            stream.legacyMultivariantPlaylist { playlistReply($0, "public, max-age=2") }
        case .legacyPlaylist(let path, let name):
            playlistReply(registry.stream(path)?.rendition(named: name)?.legacyPlaylist(), "no-cache")
        case .legacySegment(let path, let name, let msn):
            reply(media(registry.stream(path)?.rendition(named: name)?.legacySegment(msn: msn), contentType: "video/mp2t"))
        case .initSegment(let path, let name, let id):
            reply(media(registry.stream(path)?.rendition(named: name)?.initSegment(id: id)))
        case .segment(let path, let name, let msn):
            reply(media(registry.stream(path)?.rendition(named: name)?.segment(msn: msn)))
        case .part(let path, let name, let id):
            guard let rendition = registry.stream(path)?.rendition(named: name) else { return reply(status(.notFound)) }
            rendition.part(id: id) { answer in
                switch answer {
                case .ok(let data): reply(media(data))
                case .unavailable: reply(status(.serviceUnavailable))
                case .badRequest(let why): reply(status(.badRequest, why))
                case .notFound: reply(status(.notFound))
                }
            }
        }
    }

    static func playlist(_ body: PlaylistBody, cache: String, gzip: Bool) -> OriginReply {
        OriginReply(status: .ok, contentType: "application/vnd.apple.mpegurl", cacheControl: cache, varyByEncoding: true,
                    gzip: gzip, body: gzip ? body.compressed { Gzip.compress($0) } : body.bytes)
    }

    static func media(_ data: ByteBuffer?, contentType: String = "video/mp4") -> OriginReply {
        guard let data else { return status(.notFound) }
        return OriginReply(status: .ok, contentType: contentType, cacheControl: immutable, body: data)
    }

    /// Errors must not be cached: the thing may exist a moment later.
    static func status(_ status: HTTPResponse.Status, _ text: String? = nil) -> OriginReply {
        OriginReply(status: status, contentType: "text/plain; charset=utf-8", cacheControl: "no-cache",
                    body: ByteBuffer(string: (text ?? status.reasonPhrase) + "\n"))
    }

    /// Whether an Accept-Encoding value allows gzip (`gzip`, `*`, not `gzip;q=0`).
    static func acceptsGzip(_ header: String) -> Bool {
        for item in header.lowercased().split(separator: ",") {
            let fields = item.split(separator: ";").map { $0.trimmingSpaces }
            guard let coding = fields.first, coding == "gzip" || coding == "*" else { continue }
            let q = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return q > 0
        }
        return false
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        let notSpace: (Character) -> Bool = { $0 != " " && $0 != "\t" }
        guard let first = firstIndex(where: notSpace), let last = lastIndex(where: notSpace) else { return "" }
        return self[first...last]
    }
}
