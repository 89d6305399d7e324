import Config
import Foundation
import Hummingbird

/// Guards every path under `/api/v1/`: routes added anywhere (this file does not name them)
/// need `Authorization: Bearer <api.token>`; an empty token turns the check off. The token and
/// the CORS origin are read from the live configuration per request, so a reload applies at once.
/// CORS preflights are answered here, before the check (browsers send them without credentials).
/// Must be added to the router before every route it guards (Hummingbird applies a middleware
/// to the routes added after it, the `**` fallback included).
struct APIAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let config: ConfigStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard APIToken.guards(request.uri.path) else { return try await next(request, context) }
        let current = config.current
        let origin = current.listeners.http.allowOrigin
        if request.method == .options {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
            headers[.accessControlMaxAge] = "86400"
            return Response(status: .noContent, headers: headers)
        }
        let token = current.api.token ?? ""
        var response: Response
        if token.isEmpty || APIToken.authorized(request.headers[.authorization], token: token) {
            response = try await next(request, context)
        } else {
            response = APIReply.error(.unauthorized, request.headers[.authorization] == nil
                                      ? "this API needs an operator token: Authorization: Bearer <token> (printed by sluice serve at start)"
                                      : "wrong operator token")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"sluice\""
        }
        response.headers[.accessControlAllowOrigin] = origin
        return response
    }
}

/// The operator's bearer token: generated, checked.
enum APIToken {
    static let prefix = "/api/v1"

    /// Whether the token check applies: `/api/v1` and everything under it.
    static func guards(_ path: String) -> Bool { path == prefix || path.hasPrefix(prefix + "/") }

    /// `Bearer <token>`, compared in constant time (the time taken does not tell how much matched).
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header else { return false }
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else { return false }
        return constantTimeEqual(Array(header.dropFirst(scheme.count).trimmingCharacters(in: .whitespaces).utf8), Array(token.utf8))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        if a.count != b.count { difference |= 1 }
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }

    /// A new operator token: 32 random bytes as hex.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}


/// JSON answers of the API. Errors are `{"error": "..."}`.
enum APIReply {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }
}
