import Config
import Foundation
import HLS
import Hummingbird

/// `POST /api/v1/streams/{path}/clips {"from", "to", "rendition"?}` (behind the API token) and
/// `GET /clips/<id>.mp4` (open, like the HLS URLs: a clip's URL is what a product page embeds).
enum ClipRoutes {
    static func register(on router: Router<BasicRequestContext>, clips: ClipService) {
        let config = clips.config
        // `**` then `clips`: the stream path has slashes (`live/shop`).
        router.post("/api/v1/streams/**/clips") { request, context -> Response in
            guard config.current.clips.enabled else { return APIReply.error(.notFound, "clips are turned off (clips.enabled)") }
            let path = context.parameters.getCatchAll().joined(separator: "/")
            let body = try await request.body.collect(upTo: 16 << 10)
            let parsed: ClipService.Request
            switch parse(Data(buffer: body), path: path) {
            case .success(let r): parsed = r
            case .failure(let e): return APIReply.error(.badRequest, e.description)
            }
            if let refusal = ClipPlan.refusal(from: parsed.from, to: parsed.to, maxSpan: config.current.clips.maxSpanSeconds) {
                return APIReply.error(.badRequest, refusal)
            }
            do {
                let clip = try await clips.cut(parsed)
                var response = APIReply.json(clip, status: .created)
                response.headers[.location] = clip.url
                return response
            } catch let e as ClipError {
                switch e.kind {
                case .malformed: return APIReply.error(.badRequest, e.description)
                case .notAvailable: return APIReply.error(.rangeNotSatisfiable, e.description)
                case .source: return APIReply.error(.badGateway, e.description)
                }
            } catch let e as ClipService.NotFound {
                return APIReply.error(.notFound, e.description)
            } catch is ClipService.Busy {
                var response = APIReply.error(.serviceUnavailable, "\(clips.maxConcurrent) clips are being cut; try again in a few seconds")
                response.headers[.retryAfter] = "2"
                return response
            }
        }

        @Sendable func serve(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
            let settings = config.current
            let file = context.parameters.get("file") ?? ""
            guard settings.clips.enabled, isClipName(file) else { return Response(status: .notFound) }
            let files = FileMiddleware<BasicRequestContext, LocalFileSystem>(settings.clips.directory, urlBasePath: "/clips",
                                                                              cacheControl: ClipRoutes.cacheControl)
            var response = try await files.handle(request, context: context) { _, _ in throw HTTPError(.notFound) }
            response.headers[.accessControlAllowOrigin] = settings.listeners.http.allowOrigin
            return response
        }
        router.get("/clips/:file", use: serve)
        router.head("/clips/:file", use: serve)
    }

    /// A clip never changes under its id.
    static let cacheControl = CacheControl([(MediaType.videoMp4, [CacheControl.CacheControlValue.public, .maxAge(86_400), .immutable])])

    /// `<16 hex>.mp4` as `ClipService.newID` makes them: nothing else in the directory is served.
    static func isClipName(_ name: String) -> Bool {
        let stem = name.utf8.dropLast(4)
        return name.hasSuffix(".mp4") && stem.count == 16 && stem.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    struct Malformed: Error, CustomStringConvertible { var description: String }

    static let usage = "send JSON {\"from\": \"2026-11-30T18:10:00Z\" or seconds (negative: before the live edge), \"to\": ..., \"rendition\": \"source\"}"

    /// A time as JSON: a string (ISO 8601) or a number (seconds).
    enum JSONTime: Decodable {
        case string(String), number(Double)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .string(s) } else { self = .number(try c.decode(Double.self)) }
        }
    }

    struct Body: Decodable {
        var from: JSONTime?
        var to: JSONTime?
        var rendition: String?
    }

    /// The request body; from/to are ISO 8601 strings or numbers (program time in seconds).
    static func parse(_ data: Data, path: String) -> Result<ClipService.Request, Malformed> {
        guard !path.isEmpty else { return .failure(Malformed(description: "POST /api/v1/streams/{path}/clips needs a stream path")) }
        guard let body = try? JSONDecoder().decode(Body.self, from: data) else {
            return .failure(Malformed(description: usage))
        }
        func time(_ key: String, _ value: JSONTime?) -> Result<ClipTime, Malformed> {
            let parsed: ClipTime?
            switch value {
            case .string(let s): parsed = ClipTime(s)
            case .number(let n): parsed = n.isFinite ? ClipTime("\(n)") : nil
            case nil: return .failure(Malformed(description: "\"\(key)\" is missing; \(usage)"))
            }
            guard let parsed else {
                return .failure(Malformed(description: "\"\(key)\" must be an ISO 8601 date-time with a zone or a number of seconds"))
            }
            return .success(parsed)
        }
        return time("from", body.from).flatMap { from in
            time("to", body.to).map { to in ClipService.Request(path: path, from: from, to: to, rendition: body.rendition) }
        }
    }
}
