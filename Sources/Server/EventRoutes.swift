import Foundation
import HLS
import Hummingbird

/// Timed product events: `POST /api/v1/streams/{path}/events` pins an event to a frame of the
/// live stream (every rendition carries it as emsg ID3 and EXT-X-DATERANGE), `GET` lists them.
/// Behind `APIAuthMiddleware` like the rest of `/api/v1` (which also answers CORS preflights).
enum EventRoutes {
    /// A request body larger than this is refused before it is parsed (the payload limit is
    /// checked after, on the payload's own JSON).
    static let maxBody = 16 << 10

    static func register(on router: Router<BasicRequestContext>, registry: HLSRegistry) {
        router.get("/api/v1/streams/**/events") { _, context -> Response in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            guard let stream = registry.stream(path), !stream.isEnded else { return APIReply.error(.notFound, "no stream \(path)") }
            var body: [String: Any] = ["path": path, "events": stream.events.all.map(json)]
            if let f = stream.events.latestFrame {
                body["now"] = ["pts": f.pts, "date": ProgramDateTime.format(micros: f.wallClock)]
            }
            return reply(body, status: .ok)
        }
        router.post("/api/v1/streams/**/events") { request, context -> Response in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            let bytes: ByteBuffer
            do {
                bytes = try await request.body.collect(upTo: maxBody)
            } catch {
                return APIReply.error(.badRequest, "the request body is larger than \(maxBody) bytes")
            }
            let post: Post
            do { post = try Post(Data(buffer: bytes)) } catch let e as Post.Malformed {
                return APIReply.error(.badRequest, e.why)
            }
            guard let stream = registry.stream(path), !stream.isEnded else { return APIReply.error(.notFound, "no stream \(path)") }
            do {
                let event = try stream.events.post(at: post.at, type: post.type, payload: post.payload, id: post.id)
                return reply(json(event), status: .created)
            } catch let refusal as EventStore.Refusal {
                switch refusal {
                case .rateLimited: return APIReply.error(.tooManyRequests, refusal.description)
                case .invalid, .noFrame: return APIReply.error(.badRequest, refusal.description)
                }
            }
        }
    }

    /// A parsed request: `{"at": "now" | seconds | "ISO 8601", "type": "...", "payload": {...} | "...", "id"?: "..."}`.
    struct Post {
        struct Malformed: Error { var why: String }
        static let usage = "send JSON {\"at\": \"now\" | <program time in seconds> | \"<ISO 8601 date of a frame>\", "
            + "\"type\": \"product\", \"payload\": {...} or \"text\", \"id\": \"optional\"}"

        var at: EventStore.At
        var type: String
        var payload: String
        var id: String?

        init(_ data: Data) throws(Malformed) {
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw Malformed(why: Self.usage) }
            let known: Set<String> = ["at", "type", "payload", "id"]
            if let extra = object.keys.first(where: { !known.contains($0) }) { throw Malformed(why: "unknown field \(extra); \(Self.usage)") }
            guard let type = object["type"] as? String else { throw Malformed(why: "type is missing or not a string; \(Self.usage)") }
            self.type = type
            switch (try? JSONDecoder().decode(Fields.self, from: data))?.at {
            case nil, .some(.text("now")): at = .now
            case .some(.text(let s)):
                guard let date = Self.date(s) else { throw Malformed(why: "at \"\(s)\" is neither \"now\" nor an ISO 8601 date") }
                at = .wallClock(Int64((date.timeIntervalSince1970 * 1e6).rounded()))
            case .some(.seconds(let t)):
                guard t.isFinite, t >= 0 else { throw Malformed(why: "at must be ≥ 0 seconds") }
                at = .pts(t)
            case .some(.other):
                throw Malformed(why: "at must be \"now\", a number of seconds or an ISO 8601 date")
            }
            switch object["payload"] {
            case nil: payload = "{}"
            case let p as [String: Any]:
                guard let d = try? JSONSerialization.data(withJSONObject: p, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                    throw Malformed(why: "payload is not serialisable JSON")
                }
                payload = String(decoding: d, as: UTF8.self)
            case let p as String:
                payload = TimedEventJSON.quote(p)
            default: throw Malformed(why: "payload must be a JSON object or a string")
            }
            if let id = object["id"] {
                guard let id = id as? String else { throw Malformed(why: "id must be a string") }
                self.id = id
            }
        }

        /// `at` as JSON says it (JSONDecoder tells a boolean from a number; JSONSerialization does not here).
        struct Fields: Decodable {
            enum At: Decodable {
                case text(String), seconds(Double), other
                init(from decoder: any Decoder) throws {
                    let c = try decoder.singleValueContainer()
                    if let s = try? c.decode(String.self) { self = .text(s) } else if let d = try? c.decode(Double.self) { self = .seconds(d) } else { self = .other }
                }
            }
            var at: At?
        }

        static func date(_ s: String) -> Date? {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = f.date(from: s) { return d }
            f.formatOptions = [.withInternetDateTime]
            return f.date(from: s)
        }
    }

    static func json(_ e: TimedEvent) -> [String: Any] {
        let payload = (try? JSONSerialization.jsonObject(with: Data(e.payload.utf8), options: [.fragmentsAllowed])) ?? e.payload
        return ["id": e.id, "sequence": Int(e.sequence), "type": e.type, "payload": payload, "pts": e.pts,
                "programDateTime": ProgramDateTime.format(micros: e.programDateTime),
                "receivedAt": ProgramDateTime.format(micros: e.receivedAt)]
    }

    static func reply(_ body: [String: Any], status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// JSON string literals for payloads given as text.
enum TimedEventJSON {
    static func quote(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
