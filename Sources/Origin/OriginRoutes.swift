import HLS
import Hummingbird
import NIOCore

/// The LL-HLS origin's routes on Hummingbird's router. `HTTPOriginService` answers the same
/// URLs on the event loop first (`OriginFastPath`); these serve the rest (HEAD, other stacks,
/// the router tester) with the same `OriginResponder`.
public enum OriginRoutes {
    /// Registers the web player (`PlayerRoutes`) and `GET /**` on `router`: anything else that is
    /// not an HLS URL of a live stream is 404.
    public static func register<Context: RequestContext>(on router: Router<Context>, registry: HLSRegistry, access: OriginAccess? = nil) {
        PlayerRoutes.register(on: router)
        router.get("**") { request, _ -> Response in
            var query: [String: String] = [:]
            for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
            let gzip = request.headers[.acceptEncoding].map(OriginResponder.acceptsGzip) ?? false
            let reply = await withCheckedContinuation { c in
                OriginResponder.respond(path: request.uri.path, query: query, acceptsGzip: gzip, registry: registry, access: access) {
                    c.resume(returning: $0)
                }
            }
            return Response(status: reply.status, headers: reply.fields, body: .init(byteBuffer: reply.body))
        }
        // CORS preflight, for players that add request headers (e.g. hls.js xhrSetup).
        router.on("**", method: .options) { request, _ in preflight(request) }
    }

    static func preflight(_ request: Request) -> Response {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = OriginReply.allowOrigin
        headers[.accessControlAllowMethods] = "GET, OPTIONS"
        headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "*"
        headers[.accessControlMaxAge] = "86400"
        return Response(status: .noContent, headers: headers)
    }
}
