import Access
import Config
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import StreamHub
import WebRTCServer

/// WebRTC over HTTP: WHEP playback (`POST /whep/{app}/{stream}[/{rendition}]`, draft-ietf-wish-whep)
/// and WHIP publishing (`POST /whip/{app}/{stream}`, RFC 9725) with an SDP offer → 201, the
/// answer and `Location: /whep/sessions/{id}`; `DELETE` on that resource ends the session;
/// `PATCH` (trickle ICE, ICE restart) is refused with 405: Sluice is ICE-lite with one host
/// candidate in the answer. CORS preflights are answered: players post from other origins.
/// Play needs what HLS needs (signed URLs, the webhook), publish what RTMP/SRT need (keys).
/// Also the pages: `/player/webrtc` (play over WHEP) and `/player/stage` (camera → WHIP).
enum WebRTCRoutes {
    /// An SDP offer is a few KiB; anything larger is refused. The origin's request bound
    /// (`limits.maxHTTPRequestBytes`, head and body) applies first.
    static let maxOffer = 64 << 10
    static let maxDrain = 1 << 20

    static func register(on router: Router<BasicRequestContext>, sessions: MediaSessions?, hub: StreamHub,
                         access: any AccessControl, config: ConfigStore, logger: Logger) {
        WebRTCPages.register(on: router)
        guard let sessions else { return }
        for kind in ["whep", "whip"] {
            router.on(RouterPath("/\(kind)/**"), method: .options) { request, _ in preflight(request) }
            router.on(RouterPath("/\(kind)/sessions/:id"), method: .options) { request, _ in preflight(request) }
            router.delete(RouterPath("/\(kind)/sessions/:id")) { _, context -> Response in
                let id = context.parameters.get("id") ?? ""
                return sessions.delete(id: id) ? reply(.ok) : reply(.notFound, "no session \(id)")
            }
            router.patch(RouterPath("/\(kind)/sessions/:id")) { _, _ -> Response in
                var r = reply(.methodNotAllowed, "trickle ICE and ICE restarts are not supported: send the whole offer in the POST")
                r.headers[.allow] = "DELETE, OPTIONS"
                return r
            }
        }
        router.post("/whep/**") { request, context -> Response in
            let parts = context.parameters.getCatchAll().map(String.init)
            guard parts.count >= 2 else { return reply(.notFound, "POST /whep/{app}/{stream}[/{rendition}]") }
            // `app/stream/rendition` when the last component names a rendition of a live stream.
            let full = parts.joined(separator: "/")
            let (path, rendition): (String, String?) =
                hub.stream(full).map { $0.isDerived ? (parts.dropLast().joined(separator: "/"), parts.last) : (full, nil) }
                ?? (parts.count >= 3 ? (parts.dropLast().joined(separator: "/"), parts.last) : (full, nil))
            let offer: String
            switch await readOffer(request) {
            case .success(let o): offer = o
            case .failure(let refusal): return refusal.response
            }
            let decision = await access.authorize(AccessRequest(action: .play, path: path, query: request.uri.query ?? "",
                                                                transport: "webrtc", remote: remote(request)))
            guard decision.allowed else { return denied(decision.reason, query: request.uri.query) }
            do {
                let (id, answer) = try await sessions.play(path: path, rendition: rendition, offer: offer, requestHost: request.head.authority)
                return created(answer, location: "/whep/sessions/\(id)")
            } catch {
                return reply(error)
            }
        }
        router.post("/whip/**") { request, context -> Response in
            let raw = context.parameters.getCatchAll().joined(separator: "/")
            let path: StreamPath
            do { path = try StreamPath(validating: raw) } catch { return reply(.badRequest, "bad stream path \(raw): \(error)") }
            let offer: String
            switch await readOffer(request) {
            case .success(let o): offer = o
            case .failure(let refusal): return refusal.response
            }
            // WHIP clients (OBS) send the stream key as a bearer token; a URL query works too.
            var query = request.uri.query ?? ""
            if let bearer = bearer(request), !bearer.isEmpty, !query.contains("key=") {
                query += (query.isEmpty ? "" : "&") + "key=" + (bearer.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")
            }
            let address = remote(request)
            let decision = await access.authorize(AccessRequest(action: .publish, path: path.value, query: query,
                                                                transport: "whip", remote: address))
            guard decision.allowed else { return denied(decision.reason, query: query) }
            do {
                let (id, answer) = try await sessions.publish(path: path, credential: decision.credential,
                                                              maxPublishers: config.current.limits.maxPublishers, remote: address,
                                                              offer: offer, requestHost: request.head.authority)
                return created(answer, location: "/whip/sessions/\(id)")
            } catch {
                return reply(error)
            }
        }
    }

    struct Refusal: Error {
        var response: Response
    }

    /// The offer: `application/sdp`, at most `maxOffer` bytes, UTF-8.
    static func readOffer(_ request: Request) async -> Result<String, Refusal> {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/sdp") else {
            return .failure(Refusal(response: reply(.unsupportedMediaType, "send the SDP offer as Content-Type: application/sdp")))
        }
        // Read to the end (discarding beyond `maxOffer`, up to `maxDrain`) so a too-large offer
        // gets its 413 instead of a reset connection.
        var body = ByteBuffer()
        var total = 0
        do {
            for try await chunk in request.body {
                total += chunk.readableBytes
                if total <= maxOffer { body.writeImmutableBuffer(chunk) } else if total > maxDrain { break }
            }
        } catch {
            return .failure(Refusal(response: reply(.badRequest, "the offer could not be read: \(error)")))
        }
        guard total <= maxOffer else {
            return .failure(Refusal(response: reply(.contentTooLarge, "the offer is larger than \(maxOffer) bytes")))
        }
        guard let text = body.getString(at: body.readerIndex, length: body.readableBytes), !text.isEmpty else {
            return .failure(Refusal(response: reply(.badRequest, "the offer is empty or not UTF-8")))
        }
        return .success(text)
    }

    static func bearer(_ request: Request) -> String? {
        guard let auth = request.headers[.authorization], auth.lowercased().hasPrefix("bearer ") else { return nil }
        return String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// The router's context does not carry the peer's address: a proxy's X-Forwarded-For, else "".
    static func remote(_ request: Request) -> String {
        guard let name = HTTPField.Name("X-Forwarded-For") else { return "" }
        return request.headers[name].map { String($0.prefix(64)) } ?? ""
    }

    /// 401 when no credential was sent, 403 when one was and it did not do.
    static func denied(_ reason: String, query: String?) -> Response {
        let q = query ?? ""
        let sent = q.contains("token=") || q.contains("key=")
        return reply(sent ? .forbidden : .unauthorized, reason)
    }

    static func created(_ answer: String, location: String) -> Response {
        var headers = cors()
        headers[.contentType] = "application/sdp"
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: answer)))
    }

    static func reply(_ error: any Error) -> Response {
        guard let e = error as? MediaSessionError else { return reply(.internalServerError, "\(error)") }
        var r = reply(HTTPResponse.Status(code: e.status), e.description)
        if e.status == 503 { r.headers[.retryAfter] = "5" }
        return r
    }

    static func reply(_ status: HTTPResponse.Status, _ text: String = "") -> Response {
        var headers = cors()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text.isEmpty ? "" : text + "\n")))
    }

    static func cors() -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlExposeHeaders] = "Location"
        return headers
    }

    static func preflight(_ request: Request) -> Response {
        var headers = cors()
        headers[.accessControlAllowMethods] = "POST, DELETE, PATCH, OPTIONS"
        headers[.accessControlAllowHeaders] = "Content-Type, Authorization"
        headers[.accessControlMaxAge] = "86400"
        return Response(status: .noContent, headers: headers)
    }
}

extension WebRTCRoutes {
    /// The server's WebRTC sessions from the `webrtc` section; nil when it is off. A viewer's
    /// keyframe request goes to the pipeline of the stream its rung belongs to.
    static func sessions(file: SluiceConfig, host: String, hub: StreamHub, pipelines: StreamPipelines, logger: Logger) -> MediaSessions? {
        let w = file.webrtc
        guard w.enabled else { return nil }
        var settings = MediaSessionSettings(host: host, port: w.port, advertisedIP: w.advertisedIP, maxSessions: w.maxSessions)
        settings.playoutDelayMaxMs = w.playoutDelayMs < 0 ? nil : w.playoutDelayMs
        let sessions = MediaSessions(settings: settings, hub: hub, logger: logger, requestKeyframe: { [weak pipelines] rendition in
            guard let pipelines else { return }
            let parent = rendition.split(separator: "/").dropLast().joined(separator: "/")
            (pipelines.pipeline(parent) ?? pipelines.pipeline(rendition))?.requestKeyframe()
        })
        sessions.warmUp()
        return sessions
    }
}

extension SluiceServer {
    /// WHEP viewers and WHIP publishers open now.
    public var webrtcSessionCount: Int { webrtc?.count ?? 0 }
}
