import Access
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
    /// Seconds after which a client may ask again (a stream that is not live yet).
    public var retryAfter: Int?

    /// Every reply allows any origin: players run on other sites than the origin's.
    public static let allowOrigin = "*"

    /// The origin's headers for this reply (Content-Length and Date are the writer's), in one
    /// place for both writers: Hummingbird's router and the event-loop fast path.
    public var headers: [(name: String, value: String)] {
        // Timing-Allow-Origin: a player on another site may read the Resource Timing of parts
        // (first byte, last byte); the ABR controller measures throughput with it.
        var out = [("Content-Type", contentType), ("Cache-Control", cacheControl),
                   ("Access-Control-Allow-Origin", Self.allowOrigin), ("Timing-Allow-Origin", Self.allowOrigin)]
        if varyByEncoding { out.append(("Vary", "Accept-Encoding")) }
        if gzip { out.append(("Content-Encoding", "gzip")) }
        if let retryAfter { out.append(("Retry-After", String(retryAfter))) }
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
        // Recordings and clips are files on disk, served by the router off the event loop.
        if path.hasPrefix("/recordings/") || path.hasPrefix("/clips/") { return false }
        return path.hasSuffix(".m3u8") || path.hasSuffix(".m4s") || path.hasSuffix(".mp4") || path.hasSuffix(".ts")
    }

    /// Answers `GET path?query` from `registry` through `reply` (called exactly once). A playlist
    /// of a path that is not live is held up to `registry.joinWait` for the show to start.
    /// With `access`, a signed stream's URLs need a play token (403 with the reason otherwise).
    public static func respond(path: String, query: [String: String], acceptsGzip: Bool, registry: HLSRegistry,
                               access: OriginAccess? = nil, reply: @escaping @Sendable (OriginReply) -> Void) {
        respond(path: path, query: query, acceptsGzip: acceptsGzip, registry: registry, access: access, joinBy: nil, reply: reply)
    }

    private static func respond(path: String, query: [String: String], acceptsGzip: Bool, registry: HLSRegistry,
                                access: OriginAccess?, joinBy: ContinuousClock.Instant?, reply: @escaping @Sendable (OriginReply) -> Void) {
        let generation = registry.mediaGeneration
        // Not live (yet): hold the request until some stream gets media, then look again.
        let notLive: @Sendable () -> Void = {
            let deadline = joinBy ?? ContinuousClock.now + registry.joinWait
            guard deadline > ContinuousClock.now, isJoinable(path),
                  registry.waitForMedia(since: generation, until: deadline, { changed in
                      if changed {
                          respond(path: path, query: query, acceptsGzip: acceptsGzip, registry: registry, access: access,
                                  joinBy: deadline, reply: reply)
                      } else {
                          reply(notYetLive)
                      }
                  }) else { return reply(notYetLive) }
        }
        if path.hasSuffix("/index.m3u8") { registry.demand(playlist: path) }
        guard let request = OriginRequest(path: path, isStream: { registry.stream($0) != nil }) else {
            return reply(status(.notFound))
        }
        // Signed play URLs: the stream's shared token goes on every URI of the playlists served.
        var verdict = PlayGate.Verdict.open
        if let gate = access?.gate {
            verdict = play(request, query: query, gate: gate, isLive: { registry.stream($0) != nil })
            if case .denied(let why) = verdict { return reply(status(.forbidden, why)) }
        }
        let shared: String? = if case .allowed(let token) = verdict { "st=" + token } else { nil }
        let signed: @Sendable (PlaylistBody, String) -> PlaylistBody = { body, key in
            guard let shared, let access else { return body }
            return access.sign(body, key: key, query: shared)
        }
        let playlistReply: @Sendable (PlaylistBody?, String) -> Void = { body, cache in
            reply(body.map { playlist(signed($0, path), cache: cache, gzip: acceptsGzip) } ?? status(.notFound))
        }
        switch request {
        case .multivariant(let path):
            guard let stream = registry.stream(path) else { return notLive() }
            stream.multivariantPlaylist { body in
                guard let body else { return notLive() } // a stream without media yet
                reply(playlist(shared.map { PlaylistBody(OriginAccess.rewrite(body.text, query: $0)) } ?? body,
                               cache: "public, max-age=2", gzip: acceptsGzip))
            }
        case .mediaPlaylist(let path, let name):
            guard let stream = registry.stream(path) else { return notLive() }
            guard let rendition = stream.rendition(named: name) else {
                return stream.allRenditions.contains { $0.timeline.hasParts } ? reply(status(.notFound)) : notLive()
            }
            rendition.requests.count(.playlist)
            guard let directives = PlaylistRequest.parse(query) else { return reply(status(.badRequest, "bad delivery directives")) }
            // A blocking answer names a fixed point of the stream: briefly cacheable by an edge.
            let cache = directives.msn != nil ? "public, max-age=\(rendition.configuration.targetDuration)" : "no-cache"
            let key = directives.skip ? path + "?skip" : path
            rendition.playlist(directives) { answer in
                switch answer {
                case .ok(let body): reply(playlist(signed(body, key), cache: cache, gzip: acceptsGzip))
                case .badRequest(let why): reply(status(.badRequest, why))
                case .unavailable: reply(status(.serviceUnavailable))
                case .notFound: reply(status(.notFound))
                }
            }
        case .legacyMultivariant(let path):
            guard let stream = registry.stream(path) else { return notLive() }
            stream.legacyMultivariantPlaylist { playlistReply($0, "public, max-age=2") }
        case .legacyPlaylist(let path, let name):
            let rendition = registry.stream(path)?.rendition(named: name)
            rendition?.requests.count(.playlist)
            playlistReply(rendition?.legacyPlaylist(), "no-cache")
        case .legacySegment(let path, let name, let msn):
            let rendition = registry.stream(path)?.rendition(named: name)
            rendition?.requests.count(.segment)
            reply(media(rendition?.legacySegment(msn: msn), contentType: "video/mp2t"))
        case .initSegment(let path, let name, let id):
            let rendition = registry.stream(path)?.rendition(named: name)
            rendition?.requests.count(.segment)
            reply(media(rendition?.initSegment(id: id)))
        case .segment(let path, let name, let msn):
            let rendition = registry.stream(path)?.rendition(named: name)
            rendition?.requests.count(.segment)
            reply(media(rendition?.segment(msn: msn)))
        case .part(let path, let name, let id):
            guard let rendition = registry.stream(path)?.rendition(named: name) else { return reply(status(.notFound)) }
            rendition.requests.count(.part)
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

    /// The play-token verdict for a request: the multivariant playlist needs a viewer's own
    /// token; everything under the stream also takes the shared one.
    static func play(_ request: OriginRequest, query: [String: String], gate: PlayGate,
                     isLive: (String) -> Bool = { _ in false }) -> PlayGate.Verdict {
        switch request {
        case .multivariant(let stream), .legacyMultivariant(let stream):
            return gate.check(path: stream, query: query, personalOnly: true)
        case .mediaPlaylist(let stream, let rendition):
            let verdict = gate.check(path: stream, query: query, personalOnly: false)
            // Before the show starts `live/x/index.m3u8` parses as a rendition of `live`: the
            // viewer's token for `live/x` lets it wait for the start.
            if case .denied = verdict, !isLive(stream),
               case .allowed = gate.check(path: stream + "/" + rendition, query: query, personalOnly: true) {
                return .open
            }
            return verdict
        case .legacyPlaylist(let stream, _), .legacySegment(let stream, _, _), .initSegment(let stream, _, _),
             .segment(let stream, _, _), .part(let stream, _, _):
            return gate.check(path: stream, query: query, personalOnly: false)
        }
    }

    /// The 404 for a path that is not live (yet): a player may ask again.
    static var notYetLive: OriginReply {
        var r = status(.notFound, "not live (yet)")
        r.retryAfter = 5
        return r
    }

    /// Whether a request for `path` may be held for a show that has not started: a playlist
    /// URL of plausible shape. Anything else answers at once, so odd URLs cannot fill the
    /// waiting list with long strings.
    static func isJoinable(_ path: String) -> Bool {
        guard path.utf8.count <= 256, path.hasSuffix(".m3u8") else { return false }
        var depth = 0
        for c in path.utf8 {
            switch c {
            case UInt8(ascii: "/"): depth += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): break
            default: return false
            }
        }
        return depth >= 3 && depth <= 8 && !path.contains("..") && !path.contains("//")
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
